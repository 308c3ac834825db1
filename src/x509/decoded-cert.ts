/**
 * The shape of a decoded certificate: Python's `getpeercert()` dictionary (the same as
 * `ssl._ssl._test_decode_cert`), with tuples as arrays. Shared by `decodeCert`, which makes it,
 * and `matchHostname`, which reads it.
 */

/** One attribute of a distinguished name: `['commonName', 'example.com']`. */
export type NameAttribute = [name: string, value: string];
/** One relative distinguished name: usually one attribute, several for a multi-valued RDN. */
export type RelativeDistinguishedName = NameAttribute[];
/** A distinguished name: its RDNs in certificate order. */
export type DistinguishedName = RelativeDistinguishedName[];

/**
 * One subjectAltName entry, as OpenSSL 3.0 names its kind for Python: `['DNS', 'a.example']`,
 * `['IP Address', '127.0.0.1']`, `['email', ..]`, `['URI', ..]`, `['Registered ID', ..]`,
 * `['othername', '<unsupported>']`; a `DirName` entry carries a whole distinguished name.
 */
export type SubjectAltName =
  | [kind: string, value: string]
  | [kind: 'DirName', value: DistinguishedName];

/** Python's certificate dictionary. Keys appear in this order, absent ones omitted. */
export interface DecodedCert {
  subject?: DistinguishedName;
  issuer?: DistinguishedName;
  version?: number;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  subjectAltName?: SubjectAltName[];
  OCSP?: string[];
  caIssuers?: string[];
  crlDistributionPoints?: string[];
}
