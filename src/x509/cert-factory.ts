/**
 * Certificate generation beyond Python's `ssl`: development CAs, self-signed certificates and
 * leaves issued by a CA, with @peculiar/x509 on Node's WebCrypto. Everything comes back as PEM
 * text, the form `SSLContext.loadCertChain` and OpenSSL read.
 */
import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type Name,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { typeError, ValueError } from '../errors/errors.js';
import { isObjectIdentifier } from './der-writer.js';
import {
  encodeSubjectAltNames,
  type SubjectAltNames,
  subjectAltNameEntries,
} from './general-names.js';
import {
  type CryptoKey,
  type CryptoKeyPair,
  exportPrivateKeyPem,
  generateKeyPair,
  importSigningKey,
  type KeyType,
  type RsaModulusLength,
} from './key-pair.js';
import { buildName, type SubjectInput } from './subject-name.js';

/** A certificate and its private key, both PEM (the key unencrypted PKCS#8). */
export interface CertificateAndKey {
  /** `-----BEGIN CERTIFICATE-----` ... */
  cert: string;
  /** `-----BEGIN PRIVATE KEY-----` ... */
  key: string;
}

/** How far in the past a default `notBefore` lies, so that peers whose clocks lag still accept it. */
export const CLOCK_SKEW_ALLOWANCE_MS = 60 * 60 * 1000;
/** Default lifetime of a leaf certificate. */
export const DEFAULT_LEAF_VALIDITY_DAYS = 365;
/** Default lifetime of a certificate authority. */
export const DEFAULT_CA_VALIDITY_DAYS = 3650;
/** Length of a random serial number (RFC 5280 allows up to 20 octets; CA/B asks for 64+ bits). */
export const SERIAL_NUMBER_BYTES = 16;
/** RFC 5280 4.1.2.2: serial numbers are at most 20 octets. */
const MAX_SERIAL_NUMBER_BYTES = 20;
const MS_PER_DAY = 24 * 60 * 60 * 1000;
/** X.509 times have whole seconds. */
const MS_PER_SECOND = 1000;
/** subjectAltName's extension OID. */
const SUBJECT_ALT_NAME_OID = '2.5.29.17';

/** An extendedKeyUsage purpose by name. */
export type ExtendedKeyUsageName = keyof typeof ExtendedKeyUsage;
/** A keyUsage bit by name. */
export type KeyUsageName = keyof typeof KeyUsageFlags;

/** What every generated certificate may be told. */
export interface CertificateOptions {
  /** The subject; default `CN=` the first DNS or IP subjectAltName, or `localhost` (a CA: `rxtls CA`). */
  subject?: SubjectInput;
  /** The key algorithm: `ec` (ECDSA P-256 with SHA-256, the default) or `rsa` (PKCS#1 v1.5, SHA-256). */
  keyType?: KeyType;
  /** RSA modulus size when `keyType` is `rsa`; default 2048. */
  rsaBits?: RsaModulusLength;
  /** Start of validity; default now minus {@link CLOCK_SKEW_ALLOWANCE_MS}. Truncated to seconds. */
  notBefore?: Date;
  /** End of validity; exclusive with `validityDays`. Truncated to seconds. */
  notAfter?: Date;
  /** Lifetime counted from `notBefore` if given, else from now; default 365 (a CA: 3650). */
  validityDays?: number;
  /** Serial number as hexadecimal (or a bigint); default {@link SERIAL_NUMBER_BYTES} random bytes. */
  serialNumber?: string | bigint;
}

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions extends CertificateOptions {
  /** basicConstraints pathLenConstraint: how many intermediate CAs may follow; default unlimited. */
  pathLength?: number;
  /** Signs the new CA with this one (an intermediate CA) instead of self-signing it. */
  issuer?: CertificateAndKey;
}

/** Options of {@link createSelfSignedCertificate} and {@link issueCertificate}. */
export interface LeafCertificateOptions extends CertificateOptions {
  /** The names the certificate is valid for; see {@link SubjectAltNames}. */
  subjectAltNames?: SubjectAltNames;
  /** keyUsage bits; default digitalSignature (plus keyEncipherment for RSA). */
  keyUsage?: readonly KeyUsageName[];
  /** extendedKeyUsage purposes (names or dotted OIDs); default serverAuth and clientAuth; [] omits it. */
  extendedKeyUsage?: readonly (ExtendedKeyUsageName | string)[];
}

/** A CA ready to sign: its name, key and key identifier. */
interface Issuer {
  name: Name;
  privateKey: CryptoKey;
  algorithm: { name: string; hash: string };
  keyId: string;
  pathLength: number | undefined;
}

function webcrypto() {
  return globalThis.crypto;
}

function checkDate(value: unknown, what: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date)) throw typeError(what, 'a Date', value);
  if (Number.isNaN(value.getTime())) throw new ValueError(`${what} is an invalid Date`);
  return new Date(Math.floor(value.getTime() / MS_PER_SECOND) * MS_PER_SECOND);
}

function validity(options: CertificateOptions, defaultDays: number) {
  const given = checkDate(options.notBefore, 'notBefore');
  let notAfter = checkDate(options.notAfter, 'notAfter');
  const now = Date.now();
  const notBefore = given ?? checkDate(new Date(now - CLOCK_SKEW_ALLOWANCE_MS), 'notBefore')!;
  if (notAfter !== undefined && options.validityDays !== undefined) {
    throw new ValueError('give notAfter or validityDays, not both');
  }
  if (notAfter === undefined) {
    const days = options.validityDays ?? defaultDays;
    if (typeof days !== 'number') throw typeError('validityDays', 'a number', days);
    if (!(days > 0) || !Number.isFinite(days)) {
      throw new ValueError(`validityDays must be a positive number, got ${days}`);
    }
    notAfter = checkDate(new Date((given?.getTime() ?? now) + days * MS_PER_DAY), 'notAfter')!;
  }
  if (notAfter <= notBefore) {
    throw new ValueError(
      `notAfter (${notAfter.toISOString()}) must be later than notBefore (${notBefore.toISOString()})`,
    );
  }
  return { notBefore, notAfter };
}

function serialNumber(value: string | bigint | undefined): string {
  if (value === undefined) {
    const bytes = webcrypto().getRandomValues(new Uint8Array(SERIAL_NUMBER_BYTES));
    // Top bit clear keeps the INTEGER positive without a pad octet; non-zero keeps it 16 octets.
    bytes[0] = bytes[0]! & 0x7f || 0x01;
    return Buffer.from(bytes).toString('hex');
  }
  const hex = typeof value === 'bigint' ? (value > 0n ? value.toString(16) : '') : value;
  if (typeof hex !== 'string') throw typeError('serialNumber', 'a hex string or a bigint', value);
  const digits = hex.replace(/^0+/, '');
  const octets = Math.ceil((digits.length + 1) / 2); // + 1: a sign bit may need a pad octet
  if (!/^[0-9a-fA-F]+$/.test(hex) || digits === '' || octets > MAX_SERIAL_NUMBER_BYTES) {
    throw new ValueError(
      `serialNumber must be a positive integer of at most ${MAX_SERIAL_NUMBER_BYTES} octets, got ${String(value)}`,
    );
  }
  return digits.length % 2 === 0 ? digits : `0${digits}`;
}

async function loadIssuer(ca: CertificateAndKey): Promise<Issuer> {
  if (typeof ca !== 'object' || ca === null) throw typeError('ca', 'a { cert, key } object', ca);
  if (typeof ca.cert !== 'string') throw typeError('ca.cert', 'a PEM string', ca.cert);
  let cert: X509Certificate;
  let nodeCert: NodeX509Certificate;
  try {
    cert = new X509Certificate(ca.cert);
    nodeCert = new NodeX509Certificate(ca.cert);
  } catch (cause) {
    throw new ValueError('CA certificate is not a PEM certificate', { cause });
  }
  const constraints = cert.getExtension(BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new ValueError(`certificate '${cert.subject}' is not a CA (no basicConstraints CA:TRUE)`);
  }
  const usage = cert.getExtension(KeyUsagesExtension);
  if (usage && (usage.usages & KeyUsageFlags.keyCertSign) === 0) {
    throw new ValueError(
      `CA '${cert.subject}' may not sign certificates (no keyUsage keyCertSign)`,
    );
  }
  const key = await importSigningKey(ca.key, 'CA key');
  if (!nodeCert.checkPrivateKey(key.keyObject)) {
    throw new ValueError(`CA key does not match the CA certificate '${cert.subject}'`);
  }
  const keyId =
    cert.getExtension(SubjectKeyIdentifierExtension)?.keyId ??
    Buffer.from(await cert.publicKey.getKeyIdentifier(webcrypto())).toString('hex');
  return {
    name: cert.subjectName,
    privateKey: key.privateKey,
    algorithm: key.algorithm,
    keyId,
    pathLength: constraints.pathLength,
  };
}

function extendedKeyUsage(purposes: readonly string[]): Extension[] {
  if (purposes.length === 0) return [];
  const oids = purposes.map((purpose) => {
    const oid = (ExtendedKeyUsage as Record<string, string>)[purpose];
    if (oid !== undefined) return oid;
    if (isObjectIdentifier(purpose)) return purpose;
    throw new ValueError(`unknown extendedKeyUsage ${JSON.stringify(purpose)}`);
  });
  return [new ExtendedKeyUsageExtension(oids, false)];
}

function keyUsage(names: readonly string[]): KeyUsageFlags {
  return names.reduce<number>((bits, name) => {
    const bit = (KeyUsageFlags as unknown as Record<string, number>)[name];
    if (typeof bit !== 'number') throw new ValueError(`unknown keyUsage ${JSON.stringify(name)}`);
    return bits | bit;
  }, 0);
}

function defaultLeafSubject(options: LeafCertificateOptions): SubjectInput {
  const entries = options.subjectAltNames ? subjectAltNameEntries(options.subjectAltNames) : [];
  const named = entries.find((entry) => entry.type === 'dns' || entry.type === 'ip');
  return { commonName: typeof named?.value === 'string' ? named.value : 'localhost' };
}

/** Signs a certificate for `keys.publicKey`: self-signed without `issuer`. */
async function sign(
  options: CertificateOptions,
  subject: Name,
  keys: CryptoKeyPair,
  issuer: Issuer | undefined,
  extensions: Extension[],
  defaultDays: number,
): Promise<CertificateAndKey> {
  const crypto = webcrypto();
  const subjectKeyId = await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto);
  const authorityKeyId = new AuthorityKeyIdentifierExtension(issuer?.keyId ?? subjectKeyId.keyId);
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(options.serialNumber),
      subject,
      issuer: issuer?.name ?? subject,
      ...validity(options, defaultDays),
      publicKey: keys.publicKey,
      signingKey: issuer?.privateKey ?? keys.privateKey,
      signingAlgorithm: issuer?.algorithm ?? {
        name: keys.privateKey.algorithm.name,
        hash: 'SHA-256',
      },
      extensions: [...extensions, subjectKeyId, authorityKeyId],
    },
    crypto,
  );
  return { cert: `${cert.toString('pem')}\n`, key: await exportPrivateKeyPem(keys.privateKey) };
}

async function createLeaf(
  options: LeafCertificateOptions,
  issuer: Issuer | undefined,
): Promise<CertificateAndKey> {
  const keyType = options.keyType ?? 'ec';
  const subject = buildName(options.subject ?? defaultLeafSubject(options));
  const extensions: Extension[] = [new BasicConstraintsExtension(false, undefined, true)];
  const usage = options.keyUsage ?? [
    'digitalSignature',
    ...(keyType === 'rsa' ? (['keyEncipherment'] as const) : []),
  ];
  extensions.push(new KeyUsagesExtension(keyUsage(usage), true));
  extensions.push(...extendedKeyUsage(options.extendedKeyUsage ?? ['serverAuth', 'clientAuth']));
  const names = subjectAltNameEntries(options.subjectAltNames ?? []);
  // RFC 5280 forbids an empty subjectAltName extension: no names, no extension.
  if (names.length > 0) {
    extensions.push(new Extension(SUBJECT_ALT_NAME_OID, false, encodeSubjectAltNames(names)));
  }
  const keys = await generateKeyPair(keyType, options.rsaBits);
  return sign(options, subject, keys, issuer, extensions, DEFAULT_LEAF_VALIDITY_DAYS);
}

/**
 * Creates a certificate authority: basicConstraints CA:TRUE (critical, with `pathLength` when
 * given), keyUsage keyCertSign and cRLSign (critical), subject and authority key identifiers.
 * Self-signed (a root) unless `issuer` names a CA to sign it (an intermediate).
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ subject: 'CN=Test CA, O=Example' });
 * const server = await issueCertificate(ca, { subjectAltNames: { dns: ['localhost'] } });
 * ```
 */
export async function createCertificateAuthority(
  options: CertificateAuthorityOptions = {},
): Promise<CertificateAndKey> {
  const { pathLength } = options;
  if (pathLength !== undefined && !(Number.isInteger(pathLength) && pathLength >= 0)) {
    throw new ValueError(`pathLength must be a non-negative integer, got ${pathLength}`);
  }
  const subject = buildName(options.subject ?? { commonName: 'rxtls CA' });
  const issuer = options.issuer === undefined ? undefined : await loadIssuer(options.issuer);
  if (issuer?.pathLength === 0) {
    throw new ValueError('the issuing CA has pathLength 0: it may not sign another CA');
  }
  const extensions: Extension[] = [
    new BasicConstraintsExtension(true, pathLength, true),
    new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
  ];
  const keys = await generateKeyPair(options.keyType ?? 'ec', options.rsaBits);
  return sign(options, subject, keys, issuer, extensions, DEFAULT_CA_VALIDITY_DAYS);
}

/**
 * Creates a self-signed end-entity certificate (basicConstraints CA:FALSE) for the names in
 * `subjectAltNames`. Peers trust it by loading the certificate itself as a CA file.
 *
 * @example
 * ```ts
 * const { cert, key } = await createSelfSignedCertificate({
 *   subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
 * });
 * ```
 */
export async function createSelfSignedCertificate(
  options: LeafCertificateOptions = {},
): Promise<CertificateAndKey> {
  return createLeaf(options, undefined);
}

/**
 * Issues an end-entity certificate signed by `ca` (as returned by
 * {@link createCertificateAuthority}, or any PEM CA certificate with its EC or RSA key): CA:FALSE,
 * keyUsage digitalSignature (+ keyEncipherment for RSA), extendedKeyUsage serverAuth and
 * clientAuth, the CA's key identifier as authority key identifier. ValueError if `ca` is not a CA
 * or its key does not match.
 *
 * @example
 * ```ts
 * const leaf = await issueCertificate(ca, {
 *   subject: 'CN=localhost',
 *   subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
 *   validityDays: 30,
 * });
 * ```
 */
export async function issueCertificate(
  ca: CertificateAndKey,
  options: LeafCertificateOptions = {},
): Promise<CertificateAndKey> {
  return createLeaf(options, await loadIssuer(ca));
}
