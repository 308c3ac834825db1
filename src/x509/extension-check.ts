/**
 * Whether OpenSSL would flag a certificate's extensions as invalid (EXFLAG_INVALID, which
 * `SSL_CTX_use_certificate` reports as `[X509V3: INVALID_CERTIFICATE]`): an extension present
 * twice, or one of the extensions OpenSSL caches (basic constraints, key usage, extended key
 * usage, subjectAltName, key identifiers) that does not decode. Node's X509Certificate parses such
 * certificates without complaint, so rxtls checks them itself at load time.
 */
import { CONSTRUCTED, CONTEXT_CLASS, DerError, DerReader, oidToDotted, Tag } from './der.js';
import { decodeGeneralNames } from './decode-cert.js';

const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const EXT_KEY_USAGE = '2.5.29.37';
const SUBJECT_ALT_NAME = '2.5.29.17';
const ISSUER_ALT_NAME = '2.5.29.18';
const SUBJECT_KEY_ID = '2.5.29.14';

/** Decoders of the extensions OpenSSL decodes when it caches a certificate's extensions. */
const DECODERS: ReadonlyMap<string, (reader: DerReader) => void> = new Map([
  [
    BASIC_CONSTRAINTS,
    (reader: DerReader) => {
      const inner = DerReader.within(reader.expect(Tag.Sequence, 'BasicConstraints'), 'bc');
      const ca = inner.optional(Tag.Boolean, 'cA');
      if (ca !== undefined && ca.value.length !== 1) throw new DerError('cA: BOOLEAN length');
      inner.optional(Tag.Integer, 'pathLenConstraint');
      inner.done();
    },
  ],
  [KEY_USAGE, (reader: DerReader) => void reader.expect(Tag.BitString, 'KeyUsage')],
  [
    EXT_KEY_USAGE,
    (reader: DerReader) => {
      const inner = DerReader.within(reader.expect(Tag.Sequence, 'ExtKeyUsage'), 'eku');
      while (inner.hasMore()) oidToDotted(inner.expect(Tag.Oid, 'KeyPurposeId').value);
    },
  ],
  [SUBJECT_ALT_NAME, generalNames],
  [ISSUER_ALT_NAME, generalNames],
  [SUBJECT_KEY_ID, (reader: DerReader) => void reader.expect(Tag.OctetString, 'KeyIdentifier')],
]);

function generalNames(reader: DerReader): void {
  decodeGeneralNames(reader.expect(Tag.Sequence, 'GeneralNames'), 'GeneralNames');
}

/** The extensions of a certificate's DER as `[oid, value]` pairs, in order (empty: none). */
function extensionsOf(der: Uint8Array): Array<[string, Uint8Array]> {
  const cert = DerReader.within(
    new DerReader(der, 'certificate').expect(Tag.Sequence, 'Certificate'),
    'certificate',
  );
  const tbs = DerReader.within(cert.expect(Tag.Sequence, 'tbsCertificate'), 'tbsCertificate');
  tbs.optional(CONTEXT_CLASS | CONSTRUCTED | 0, 'version');
  for (let field = 0; field < 6; field++) tbs.read(); // serial ... subjectPublicKeyInfo
  tbs.optional(CONTEXT_CLASS | 1, 'issuerUniqueID');
  tbs.optional(CONTEXT_CLASS | 2, 'subjectUniqueID');
  const wrapper = tbs.optional(CONTEXT_CLASS | CONSTRUCTED | 3, 'extensions');
  if (wrapper === undefined) return [];
  const list = DerReader.within(
    DerReader.within(wrapper, 'extensions').expect(Tag.Sequence, 'Extensions'),
    'Extensions',
  );
  const found: Array<[string, Uint8Array]> = [];
  while (list.hasMore()) {
    const ext = DerReader.within(list.expect(Tag.Sequence, 'Extension'), 'Extension');
    const oid = oidToDotted(ext.expect(Tag.Oid, 'extnID').value);
    ext.optional(Tag.Boolean, 'critical');
    found.push([oid, ext.expect(Tag.OctetString, 'extnValue').value]);
  }
  return found;
}

/** Whether OpenSSL would mark the certificate invalid for its extensions (see the file comment). */
export function hasInvalidExtensions(der: Uint8Array): boolean {
  let extensions: Array<[string, Uint8Array]>;
  try {
    extensions = extensionsOf(der);
  } catch (error) {
    if (error instanceof DerError) return true;
    throw error;
  }
  const seen = new Set<string>();
  for (const [oid, value] of extensions) {
    if (seen.has(oid)) return true;
    seen.add(oid);
    const decode = DECODERS.get(oid);
    if (decode === undefined) continue;
    try {
      const reader = new DerReader(value, oid);
      decode(reader);
      reader.done();
    } catch (error) {
      // Only the encoding counts: OpenSSL decodes, it does not render (a name that is not UTF-8
      // is Python's rendering error, not an invalid certificate).
      if (error instanceof DerError) return true;
    }
  }
  return false;
}
