/**
 * `decodeCert`: Python's `ssl._ssl._test_decode_cert` (the dictionary `getpeercert()` returns)
 * computed from the certificate's DER in TypeScript, string for string as CPython 3.11's
 * `_decode_certificate` builds it over OpenSSL 3.0.
 */
import { SSLError, typeError } from '../errors/errors.js';
import { pythonUtf8, stringToUtf8, timeToText } from './asn1-text.js';
import type {
  DecodedCert,
  DistinguishedName,
  RelativeDistinguishedName,
  SubjectAltName,
} from './decoded-cert.js';
import {
  CONTEXT_CLASS,
  CONSTRUCTED,
  DerError,
  DerReader,
  integerToHex,
  oidToDotted,
  Tag,
  type Tlv,
} from './der.js';
import { OID_NAMES } from './oid-names.js';
import { looksLikeDer, pemBlocksToDer } from './pem.js';

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const OID_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const OID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
const OID_AD_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';

/** The otherName types OpenSSL 3.0's GENERAL_NAME_print spells out, and the string type each needs. */
const OTHER_NAME_FORMS: ReadonlyMap<string, [label: string, tag: Tag]> = new Map([
  ['1.3.6.1.5.5.7.8.9', ['SmtpUTF8Mailbox', Tag.Utf8String]],
  ['1.3.6.1.5.5.7.8.5', ['XmppAddr', Tag.Utf8String]],
  ['1.3.6.1.5.5.7.8.7', ['SRVName', Tag.Ia5String]],
  ['1.3.6.1.4.1.311.20.2.3', ['UPN', Tag.Utf8String]],
  ['1.3.6.1.5.5.7.8.8', ['NAIRealm', Tag.Utf8String]],
]);
const OTHER_NAME_UNSUPPORTED: SubjectAltName = ['othername', '<unsupported>'];
/** Python reads GENERAL_NAME_print's output with BIO_gets into a 2048-byte buffer, minus one. */
const PRINT_BUFFER = 2046;
/** i2t_ASN1_OBJECT into Python's buffer: longer names come out as `<INVALID>`. */
const OBJECT_TEXT_LIMIT = 2047;

/** Universal tags OpenSSL's name-entry decoder (MSTRING, B_ASN1_PRINTABLE) accepts. */
const NAME_VALUE_TAGS = new Set([
  3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 28, 29, 30,
]);
/** Types OpenSSL canonicalises (and so validates) while decoding a name. */
const CANONICAL_TAGS = new Set<number>([
  Tag.Utf8String,
  Tag.BmpString,
  Tag.UniversalString,
  Tag.PrintableString,
  Tag.T61String,
  Tag.Ia5String,
]);

/** The name OBJ_obj2txt(obj, 0) gives an OID: OpenSSL's long name, else the dotted form. */
function objectName(dotted: string): string {
  return OID_NAMES.get(dotted) ?? dotted;
}

function readOid(reader: DerReader, what: string): string {
  return oidToDotted(reader.expect(Tag.Oid, what).value);
}

function checkBitString(tlv: Tlv, what: string): void {
  if (tlv.value.length < 1 || tlv.value[0]! > 7) throw new DerError(`${what}: invalid BIT STRING`);
}

function decodeNameValue(tlv: Tlv): string {
  const sequence = tlv.tagNumber === Tag.Sequence - CONSTRUCTED;
  if (tlv.tagClass !== 0 || !NAME_VALUE_TAGS.has(tlv.tagNumber) || tlv.constructed !== sequence) {
    throw new DerError(
      `name attribute value of tag 0x${tlv.tag.toString(16)} is not a string type`,
    );
  }
  if (tlv.tagNumber === Tag.BitString) {
    // Python returns these bytes as `bytes`; rxtls's string form keeps them as Latin-1.
    checkBitString(tlv, 'name attribute');
    return Buffer.from(tlv.value.subarray(1)).toString('latin1');
  }
  if (!CANONICAL_TAGS.has(tlv.tagNumber)) return stringToUtf8(tlv.tagNumber, tlv.value);
  try {
    return stringToUtf8(tlv.tagNumber, tlv.value);
  } catch (cause) {
    // OpenSSL canonicalises names while decoding, so a bad string fails the whole certificate.
    throw new DerError(`name attribute: ${(cause as Error).message}`, { cause });
  }
}

/** `_create_tuple_for_X509_NAME`: RDNs in order, each a list of [name, value]; empty RDNs vanish. */
function decodeName(tlv: Tlv, what: string): DistinguishedName {
  const rdns = DerReader.within(tlv, what);
  const name: DistinguishedName = [];
  while (rdns.hasMore()) {
    const rdn = decodeRdn(
      DerReader.within(rdns.expect(Tag.Set, 'RelativeDistinguishedName'), what),
      what,
    );
    if (rdn.length > 0) name.push(rdn);
  }
  return name;
}

/** The attributes of one RDN (the content of its SET). */
function decodeRdn(attributes: DerReader, what: string): RelativeDistinguishedName {
  const rdn: RelativeDistinguishedName = [];
  while (attributes.hasMore()) {
    const attribute = DerReader.within(
      attributes.expect(Tag.Sequence, 'AttributeTypeAndValue'),
      what,
    );
    const type = readOid(attribute, 'type');
    const value = decodeNameValue(attribute.read());
    attribute.done();
    rdn.push([objectName(type), value]);
  }
  return rdn;
}

/** What `%.*s` then BIO_gets keep of a printed value: up to a NUL, a newline, the buffer size. */
function printedText(prefix: string, value: Uint8Array): string {
  const bytes = Buffer.concat([Buffer.from(prefix), value]);
  let end = bytes.indexOf(0, prefix.length);
  if (end === -1) end = bytes.length;
  const newline = bytes.indexOf(0x0a);
  if (newline !== -1 && newline < end) end = newline + 1;
  return pythonUtf8(bytes.subarray(0, Math.min(end, PRINT_BUFFER)));
}

function decodeOtherName(tlv: Tlv): SubjectAltName {
  const reader = DerReader.within(tlv, 'otherName');
  const type = readOid(reader, 'type-id');
  const value = DerReader.within(
    reader.expect(CONTEXT_CLASS | CONSTRUCTED, 'value'),
    'otherName.value',
  ).read();
  reader.done();
  const form = OTHER_NAME_FORMS.get(type);
  const expected = form?.[1] ?? Tag.Utf8String;
  if (value.tag !== expected || form === undefined) return OTHER_NAME_UNSUPPORTED;
  const text = printedText(`othername:${form[0]}:`, value.value);
  const colon = text.indexOf(':');
  return [text.slice(0, colon), text.slice(colon + 1)];
}

function ipAddressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return '<invalid>';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16).toUpperCase());
  return groups.join(':');
}

/** One GeneralName as `_get_peer_alt_names` renders it. */
function decodeGeneralName(tlv: Tlv): SubjectAltName {
  if (tlv.tagClass !== CONTEXT_CLASS) throw new DerError('GeneralName is not context-tagged');
  const constructed = tlv.constructed;
  switch (tlv.tagNumber) {
    case 0:
      if (constructed) return decodeOtherName(tlv);
      break;
    case 1:
      if (!constructed) return ['email', pythonUtf8(tlv.value)];
      break;
    case 2:
      if (!constructed) return ['DNS', pythonUtf8(tlv.value)];
      break;
    case 3:
      if (constructed) return ['X400Name', '<unsupported>'];
      break;
    case 4:
      if (constructed) {
        const inner = DerReader.within(tlv, 'directoryName');
        const name = decodeName(inner.expect(Tag.Sequence, 'Name'), 'directoryName');
        inner.done();
        return ['DirName', name];
      }
      break;
    case 5:
      if (constructed) return ['EdiPartyName', '<unsupported>'];
      break;
    case 6:
      if (!constructed) return ['URI', pythonUtf8(tlv.value)];
      break;
    case 7:
      if (!constructed) return ['IP Address', ipAddressText(tlv.value)];
      break;
    case 8:
      if (!constructed) {
        const text = objectName(oidToDotted(tlv.value));
        return ['Registered ID', text.length >= OBJECT_TEXT_LIMIT ? '<INVALID>' : text];
      }
      break;
  }
  throw new DerError(`unsupported GeneralName tag 0x${tlv.tag.toString(16)}`);
}

export function decodeGeneralNames(tlv: Tlv, what: string): SubjectAltName[] {
  // The whole list is read before any name is rendered, as OpenSSL parses the extension before
  // Python renders it: a broken encoding further on makes the extension absent (a DerError), never
  // a rendering error (bad UTF-8) of an earlier name.
  const reader = DerReader.within(tlv, what);
  const encoded: Tlv[] = [];
  while (reader.hasMore()) encoded.push(reader.read());
  return encoded.map(decodeGeneralName);
}

/** AIA: the URIs of the access descriptions for `method`. */
function accessLocations(value: Uint8Array, method: string): string[] {
  const reader = DerReader.within(
    new DerReader(value, 'authorityInfoAccess').expect(Tag.Sequence, 'AIA'),
    'AIA',
  );
  const uris: string[] = [];
  while (reader.hasMore()) {
    const description = DerReader.within(
      reader.expect(Tag.Sequence, 'AccessDescription'),
      'AccessDescription',
    );
    const accessMethod = readOid(description, 'accessMethod');
    const [kind, location] = decodeGeneralName(description.read());
    description.done();
    if (accessMethod === method && kind === 'URI') uris.push(location as string);
  }
  return uris;
}

/** CRL distribution points: the URIs among full names (relative names give nothing, as in Python). */
function crlDistributionPoints(value: Uint8Array): string[] {
  const what = 'crlDistributionPoints';
  const reader = DerReader.within(new DerReader(value, what).expect(Tag.Sequence, what), what);
  const uris: string[] = [];
  while (reader.hasMore()) {
    const point = DerReader.within(
      reader.expect(Tag.Sequence, 'DistributionPoint'),
      'DistributionPoint',
    );
    const name = point.optional(CONTEXT_CLASS | CONSTRUCTED | 0, 'distributionPoint');
    point.optional(CONTEXT_CLASS | 1, 'reasons');
    const crlIssuer = point.optional(CONTEXT_CLASS | CONSTRUCTED | 2, 'cRLIssuer');
    point.done();
    if (crlIssuer !== undefined) decodeGeneralNames(crlIssuer, 'cRLIssuer');
    if (name === undefined) continue;
    const choice = DerReader.within(name, 'DistributionPointName');
    const full = choice.read();
    choice.done();
    if (full.tag === (CONTEXT_CLASS | CONSTRUCTED | 0)) {
      for (const [kind, uri] of decodeGeneralNames(full, 'fullName')) {
        if (kind === 'URI') uris.push(uri as string);
      }
    } else if (full.tag === (CONTEXT_CLASS | CONSTRUCTED | 1)) {
      decodeRdn(DerReader.within(full, 'nameRelativeToCRLIssuer'), 'nameRelativeToCRLIssuer');
    } else {
      throw new DerError('DistributionPointName: unexpected tag');
    }
  }
  return uris;
}

/**
 * The value of the one extension with `oid` decoded by `decode`, as X509_get_ext_d2i gives it:
 * absent when the extension is missing, repeated or fails to decode.
 */
function extension<T>(
  extensions: Map<string, Uint8Array[]>,
  oid: string,
  decode: (v: Uint8Array) => T,
): T | undefined {
  const values = extensions.get(oid);
  if (values?.length !== 1) return undefined;
  try {
    return decode(values[0]!);
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}

function readExtensions(tlv: Tlv | undefined): Map<string, Uint8Array[]> {
  const found = new Map<string, Uint8Array[]>();
  if (tlv === undefined) return found;
  const outer = DerReader.within(tlv, 'extensions');
  const list = DerReader.within(outer.expect(Tag.Sequence, 'Extensions'), 'extensions');
  outer.done();
  while (list.hasMore()) {
    const ext = DerReader.within(list.expect(Tag.Sequence, 'Extension'), 'Extension');
    const oid = readOid(ext, 'extnID');
    const critical = ext.optional(Tag.Boolean, 'critical');
    if (critical !== undefined && critical.value.length !== 1)
      throw new DerError('Extension: BOOLEAN of wrong length');
    const value = ext.expect(Tag.OctetString, 'extnValue').value;
    ext.done();
    found.set(oid, [...(found.get(oid) ?? []), value]);
  }
  return found;
}

/** ASN1_INTEGER_get: the value as a C long, -1 when it does not fit. */
function smallInteger(content: Uint8Array): number {
  integerToHex(content); // the same padding checks as any INTEGER
  let value = 0n;
  for (const octet of content) value = (value << 8n) | BigInt(octet);
  if (content[0]! & 0x80) value -= 1n << BigInt(8 * content.length);
  const LONG_MAX = (1n << 63n) - 1n;
  return value > LONG_MAX || value < -LONG_MAX ? -1 : Number(value);
}

function readTime(reader: DerReader, what: string): string {
  const tlv = reader.read();
  if (tlv.tag !== Tag.UtcTime && tlv.tag !== Tag.GeneralizedTime)
    throw new DerError(`validity.${what}: not a time`);
  return timeToText(tlv.tag, tlv.value);
}

/** Parses a DER certificate and builds Python's dictionary; throws DerError for malformed DER. */
function decodeDer(der: Uint8Array): DecodedCert {
  const certificate = new DerReader(der, 'certificate').expect(Tag.Sequence, 'Certificate');
  const parts = DerReader.within(certificate, 'certificate');
  const tbs = DerReader.within(parts.expect(Tag.Sequence, 'tbsCertificate'), 'tbsCertificate');
  readAlgorithm(parts, 'signatureAlgorithm');
  checkBitString(parts.expect(Tag.BitString, 'signatureValue'), 'signatureValue');
  parts.done();

  const versionTlv = tbs.optional(CONTEXT_CLASS | CONSTRUCTED | 0, 'version');
  let version = 0;
  if (versionTlv !== undefined) {
    const inner = DerReader.within(versionTlv, 'version');
    version = smallInteger(inner.expect(Tag.Integer, 'INTEGER').value);
    inner.done();
  }
  const serialNumber = integerToHex(tbs.expect(Tag.Integer, 'serialNumber').value);
  readAlgorithm(tbs, 'signature');
  const issuer = decodeName(tbs.expect(Tag.Sequence, 'issuer'), 'issuer');
  const validity = DerReader.within(tbs.expect(Tag.Sequence, 'validity'), 'validity');
  const notBefore = readTime(validity, 'notBefore');
  const notAfter = readTime(validity, 'notAfter');
  validity.done();
  const subject = decodeName(tbs.expect(Tag.Sequence, 'subject'), 'subject');
  const key = DerReader.within(
    tbs.expect(Tag.Sequence, 'subjectPublicKeyInfo'),
    'subjectPublicKeyInfo',
  );
  readAlgorithm(key, 'algorithm');
  checkBitString(key.expect(Tag.BitString, 'subjectPublicKey'), 'subjectPublicKey');
  key.done();
  for (const [number, what] of [
    [1, 'issuerUniqueID'],
    [2, 'subjectUniqueID'],
  ] as const) {
    const uid = tbs.optional(CONTEXT_CLASS | number, what);
    if (uid !== undefined) checkBitString(uid, what);
  }
  const extensions = readExtensions(tbs.optional(CONTEXT_CLASS | CONSTRUCTED | 3, 'extensions'));
  tbs.done();

  const decoded: DecodedCert = {
    subject,
    issuer,
    version: version + 1,
    serialNumber,
    notBefore,
    notAfter,
  };
  const altNames = extension(extensions, OID_SUBJECT_ALT_NAME, (value) => {
    const reader = new DerReader(value, 'subjectAltName');
    return decodeGeneralNames(reader.expect(Tag.Sequence, 'GeneralNames'), 'subjectAltName');
  });
  if (altNames !== undefined) decoded.subjectAltName = altNames;
  const ocsp = extension(extensions, OID_AUTHORITY_INFO_ACCESS, (v) =>
    accessLocations(v, OID_AD_OCSP),
  );
  if (ocsp !== undefined && ocsp.length > 0) decoded.OCSP = ocsp;
  const caIssuers = extension(extensions, OID_AUTHORITY_INFO_ACCESS, (v) =>
    accessLocations(v, OID_AD_CA_ISSUERS),
  );
  if (caIssuers !== undefined && caIssuers.length > 0) decoded.caIssuers = caIssuers;
  const crl = extension(extensions, OID_CRL_DISTRIBUTION_POINTS, crlDistributionPoints);
  if (crl !== undefined && crl.length > 0) decoded.crlDistributionPoints = crl;
  return decoded;
}

function readAlgorithm(reader: DerReader, what: string): void {
  const algorithm = DerReader.within(reader.expect(Tag.Sequence, what), what);
  readOid(algorithm, 'algorithm');
  if (algorithm.hasMore()) algorithm.read();
  algorithm.done();
}

/** Python's message when `_test_decode_cert` finds no certificate it can decode in a PEM file. */
export const PEM_DECODE_ERROR = 'Error decoding PEM-encoded file';

/**
 * Decodes a certificate into the dictionary Python's `getpeercert()` returns (the same as
 * `ssl._ssl._test_decode_cert`), with tuples as arrays: `JSON.stringify` of the result equals
 * Python's compact `json.dumps`. Accepts PEM text (as a string or bytes; the first certificate of a
 * chain is decoded, as Python does) or one DER certificate as bytes.
 *
 * Throws SSLError `Error decoding PEM-encoded file` (Python's message) when PEM input holds no
 * decodable certificate, SSLError `Error decoding DER-encoded certificate: <what is wrong>` for
 * malformed DER bytes (the DerError on `cause` in both cases), ValueError where a name that must be
 * UTF-8 is not (Python raises UnicodeDecodeError there), and TypeError for other arguments.
 *
 * @example
 * ```ts
 * const cert = decodeCert(readFileSync('cert.pem', 'utf8'));
 * cert.subjectAltName; // [['DNS', 'example.com'], ['IP Address', '127.0.0.1']]
 * ```
 */
export function decodeCert(pemOrDer: string | Uint8Array): DecodedCert {
  if (typeof pemOrDer !== 'string' && !(pemOrDer instanceof Uint8Array)) {
    throw typeError('pemOrDer', 'a string or bytes', pemOrDer);
  }
  if (typeof pemOrDer !== 'string' && looksLikeDer(pemOrDer)) {
    try {
      return decodeDer(pemOrDer);
    } catch (cause) {
      if (!(cause instanceof DerError)) throw cause;
      throw new SSLError(`Error decoding DER-encoded certificate: ${cause.message}`, { cause });
    }
  }
  const text = typeof pemOrDer === 'string' ? pemOrDer : Buffer.from(pemOrDer).toString('latin1');
  let der: Buffer | undefined;
  try {
    der = pemBlocksToDer(text, 1)[0];
  } catch (cause) {
    throw new SSLError(PEM_DECODE_ERROR, { cause });
  }
  if (der === undefined) {
    const why = text.length === 0 ? 'empty input' : 'no certificate block found';
    throw new SSLError(PEM_DECODE_ERROR, { cause: new DerError(why) });
  }
  try {
    return decodeDer(der);
  } catch (cause) {
    if (!(cause instanceof DerError)) throw cause;
    throw new SSLError(PEM_DECODE_ERROR, { cause });
  }
}
