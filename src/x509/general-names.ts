/**
 * Subject alternative names of every kind RFC 5280 lets a TLS certificate carry, validated and
 * encoded as DER GeneralNames. Encoded here rather than by @peculiar/x509 because its GeneralName
 * knows only two otherName OIDs and no IPv4-mapped IPv6 addresses.
 */
import 'reflect-metadata';
import { isIP } from 'node:net';
import { typeError, ValueError } from '../errors/errors.js';
import { derConcat, derOidContent, derTlv } from './der-writer.js';
import { buildName, type SubjectInput } from './subject-name.js';

/** Microsoft's user principal name otherName (`1.3.6.1.4.1.311.20.2.3`), a UTF8String. */
export const UPN_OID = '1.3.6.1.4.1.311.20.2.3';

/** An otherName: a type OID and a value, a UTF8String for text or the value's own DER bytes. */
export interface OtherName {
  oid: string;
  value: string | Uint8Array;
}

/** One subjectAltName entry, tagged with its kind. The order of a list is kept in the certificate. */
export type SubjectAltNameEntry =
  | { type: 'dns'; value: string }
  | { type: 'ip'; value: string }
  | { type: 'email'; value: string }
  | { type: 'uri'; value: string }
  | { type: 'dirName'; value: SubjectInput }
  | { type: 'registeredId'; value: string }
  | { type: 'otherName'; value: OtherName }
  | { type: 'upn'; value: string };

/** The kinds of {@link SubjectAltNameEntry}. */
export type SubjectAltNameType = SubjectAltNameEntry['type'];

/**
 * subjectAltNames grouped by kind; written in this key order (dns, ip, email, uri, dirName,
 * registeredId, otherName, upn).
 *
 * @example
 * ```ts
 * { dns: ['localhost', '*.example.test'], ip: ['127.0.0.1', '::1'], email: ['ops@example.test'] }
 * ```
 */
export interface SubjectAltNameGroups {
  /** DNS names in ASCII (IDNA A-labels); a wildcard only as the whole leftmost label. */
  dns?: readonly string[];
  /** IPv4 or IPv6 addresses, without zone or prefix length. */
  ip?: readonly string[];
  /** rfc822Name mailboxes. */
  email?: readonly string[];
  /** Absolute URIs (`spiffe://example.test/service`). */
  uri?: readonly string[];
  /** Directory names. */
  dirName?: readonly SubjectInput[];
  /** Registered object identifiers. */
  registeredId?: readonly string[];
  /** otherNames of any type. */
  otherName?: readonly OtherName[];
  /** User principal names (otherName {@link UPN_OID}). */
  upn?: readonly string[];
}

/** subjectAltNames: grouped by kind, or a list of tagged entries in certificate order. */
export type SubjectAltNames = SubjectAltNameGroups | readonly SubjectAltNameEntry[];

const GROUP_ORDER = [
  'dns',
  'ip',
  'email',
  'uri',
  'dirName',
  'registeredId',
  'otherName',
  'upn',
] as const satisfies readonly SubjectAltNameType[];

/** GeneralName's context tags (RFC 5280 4.2.1.6): primitive [n] = 0x80 | n, constructed 0xa0 | n. */
const TAG = {
  otherName: 0xa0,
  email: 0x81,
  dns: 0x82,
  dirName: 0xa4,
  uri: 0x86,
  ip: 0x87,
  registeredId: 0x88,
  explicitValue: 0xa0,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
} as const;

/** A printable ASCII token without spaces, as IA5String names in certificates should be. */
const ASCII_TOKEN = /^[\x21-\x7e]+$/;
/** An absolute URI starts with a scheme (RFC 3986 3.1). */
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** Octets in an IPv6 address, and in each of its eight groups. */
const IPV6_GROUPS = 8;

function ipv4Octets(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Octets(text: string): number[] {
  // An IPv4-mapped tail (::ffff:1.2.3.4) becomes the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  const [a, b, c, d] = tail.includes('.') ? ipv4Octets(tail) : [];
  const hex =
    a === undefined
      ? text
      : `${text.slice(0, lastColon + 1)}${((a << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  const [head = '', rest] = hex.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = [...left, ...Array(IPV6_GROUPS - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** The octets of an IP address SAN; ValueError worded as Python's `ipaddress.ip_address`. */
function ipOctets(text: string): Uint8Array {
  const version = text.includes('%') ? 0 : isIP(text);
  if (version === 0) {
    throw new ValueError(`'${text}' does not appear to be an IPv4 or IPv6 address`);
  }
  return Uint8Array.from(version === 4 ? ipv4Octets(text) : ipv6Octets(text));
}

function asciiToken(kind: string, value: string): string {
  if (!ASCII_TOKEN.test(value)) {
    throw new ValueError(
      `${kind} subjectAltName must be non-empty printable ASCII without spaces, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function encodeEntry(entry: SubjectAltNameEntry): Uint8Array {
  const text = (value: string) => new TextEncoder().encode(value);
  switch (entry.type) {
    case 'dns':
      return derTlv(TAG.dns, text(asciiToken('DNS', entry.value)));
    case 'ip':
      return derTlv(TAG.ip, ipOctets(entry.value));
    case 'email':
      return derTlv(TAG.email, text(asciiToken('email', entry.value)));
    case 'uri':
      if (!URI_SCHEME.test(asciiToken('URI', entry.value))) {
        throw new ValueError(
          `URI subjectAltName must be absolute, got ${JSON.stringify(entry.value)}`,
        );
      }
      return derTlv(TAG.uri, text(entry.value));
    case 'dirName':
      return derTlv(TAG.dirName, new Uint8Array(buildName(entry.value, 'dirName').toArrayBuffer()));
    case 'registeredId':
      return derTlv(TAG.registeredId, derOidContent(entry.value));
    case 'upn':
      return encodeEntry({ type: 'otherName', value: { oid: UPN_OID, value: entry.value } });
    case 'otherName': {
      const { oid, value } = entry.value;
      const der = typeof value === 'string' ? derTlv(TAG.utf8String, text(value)) : value;
      const content = derConcat([
        derTlv(TAG.oid, derOidContent(oid)),
        derTlv(TAG.explicitValue, der),
      ]);
      return derTlv(TAG.otherName, content);
    }
    default:
      throw new ValueError(
        `unknown subjectAltName type ${JSON.stringify((entry as { type: unknown }).type)}`,
      );
  }
}

/** Lists the entries of either form of {@link SubjectAltNames}, in certificate order. */
export function subjectAltNameEntries(names: SubjectAltNames): SubjectAltNameEntry[] {
  if (Array.isArray(names)) return [...names];
  if (typeof names !== 'object' || names === null) {
    throw typeError('subjectAltNames', 'an object or an array', names);
  }
  const groups = names as SubjectAltNameGroups;
  for (const key of Object.keys(groups)) {
    if (!(GROUP_ORDER as readonly string[]).includes(key)) {
      throw new ValueError(`unknown subjectAltName type ${JSON.stringify(key)}`);
    }
  }
  return GROUP_ORDER.flatMap((type) => {
    const values: unknown = groups[type] ?? [];
    if (!Array.isArray(values)) throw typeError(`subjectAltNames.${type}`, 'an array', values);
    return values.map((value) => ({ type, value }) as SubjectAltNameEntry);
  });
}

/** Validates subjectAltNames and encodes them as the DER `GeneralNames` of the extension. */
export function encodeSubjectAltNames(names: SubjectAltNames): Uint8Array {
  return derTlv(TAG.sequence, derConcat(subjectAltNameEntries(names).map(encodeEntry)));
}

/** OpenSSL's config-file prefixes (`DNS:`, `IP:`, `email:`, `URI:`, `RID:`, `dirName:`, ...). */
const SPEC_PREFIXES: Record<string, SubjectAltNameType> = {
  dns: 'dns',
  ip: 'ip',
  email: 'email',
  uri: 'uri',
  rid: 'registeredId',
  dirname: 'dirName',
  othername: 'otherName',
  upn: 'upn',
};

/**
 * Parses OpenSSL's subjectAltName syntax, `DNS:localhost,IP:127.0.0.1,email:a@b.test,URI:x:y`,
 * plus `RID:1.2.3`, `dirName:/CN=x/O=y`, `otherName:1.2.3.4;UTF8:text` and `UPN:user@domain`.
 * Every entry is validated as {@link encodeSubjectAltNames} would; ValueError otherwise.
 */
export function parseSubjectAltNames(spec: string): SubjectAltNameEntry[] {
  const entries = spec
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item): SubjectAltNameEntry => {
      const colon = item.indexOf(':');
      const type = SPEC_PREFIXES[item.slice(0, Math.max(colon, 0)).toLowerCase()];
      if (type === undefined) {
        throw new ValueError(
          `subjectAltName ${JSON.stringify(item)} must start with DNS:, IP:, email:, URI:, RID:, dirName:, otherName: or UPN:`,
        );
      }
      const value = item.slice(colon + 1);
      if (type !== 'otherName') return { type, value } as SubjectAltNameEntry;
      const match = /^([^;]+);UTF8:(.*)$/i.exec(value);
      if (!match) throw new ValueError(`otherName ${JSON.stringify(value)} must be OID;UTF8:text`);
      return { type, value: { oid: match[1]!, value: match[2]! } };
    });
  for (const entry of entries) encodeEntry(entry);
  return entries;
}
