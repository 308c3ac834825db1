/**
 * A context's own certificate chains and private keys, loaded and checked as Python's
 * `load_cert_chain` checks them: the PEM must be complete, the key must decrypt with the password
 * and match the leaf, and the certificates must pass OpenSSL's load-time checks (extensions that
 * decode, keys large enough for the security level). A context holds one chain per key type, as
 * OpenSSL's SSL_CTX does (docs/architecture.md, Certificates per key type).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EngineCredentials } from '../transport/sansio/engine.js';
import { SSLError } from '../errors/errors.js';
import { hasInvalidExtensions } from '../x509/extension-check.js';
import { toPem } from '../x509/key-pair.js';
import { readPemBlocks } from './trust-store.js';
import { checkKeySecurity, DEFAULT_SECURITY_LEVEL, securityLevelOf } from './key-security.js';

/** A key password: text, bytes, or a function returning either (called once, when needed). */
export type Password = string | Uint8Array | (() => string | Uint8Array);

const KEY_LABELS = new Set([
  'PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'DSA PRIVATE KEY',
]);

/** Python reports every unreadable PEM input of load_cert_chain as this. */
function pemLibError(cause?: unknown): SSLError {
  return new SSLError('PEM lib', { library: 'SSL', cause });
}

function passwordText(password: Password | undefined): string | undefined {
  if (password === undefined) return undefined;
  const value = typeof password === 'function' ? password() : password;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  throw new TypeError('password callback must return a string');
}

/** One loaded chain: what engines get, plus the key type (OpenSSL's slot) and the parsed leaf. */
export interface ContextCredentials extends EngineCredentials {
  /** The private key's type as node:crypto names it (`rsa`, `ec`, `ed25519`...): one per context. */
  readonly keyType: string;
  readonly leaf: X509Certificate;
}

/** What a context tells about a loaded chain: its key type and leaf, never the key. */
export type LoadedChain = Pick<ContextCredentials, 'keyType' | 'leaf'>;

const CERT_LABELS = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);

/**
 * Certificates of a PEM text, or one DER certificate. A BEGIN line without its END (a file caught
 * half-written) fails as OpenSSL's PEM reader fails on it.
 */
function certificatesOf(data: string | Uint8Array): Buffer[] {
  if (typeof data !== 'string') return [Buffer.from(data)];
  const blocks = readPemBlocks(data).filter((block) => CERT_LABELS.has(block.label));
  const begun = data.match(/-----BEGIN (TRUSTED |X509 )?CERTIFICATE-----/g)?.length ?? 0;
  if (begun !== blocks.length) {
    // OpenSSL: an unreadable leaf is "PEM lib"; an unfinished chain certificate after it is the
    // PEM reader's own error.
    if (blocks.length === 0) throw pemLibError();
    throw new SSLError('bad end line', { library: 'PEM', reason: 'BAD_END_LINE' });
  }
  return blocks.map((block) => block.der);
}

/** A certificate of the chain as node:crypto parses it; Python's PEM lib error otherwise. */
function parsed(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw pemLibError(error);
  }
}

function invalidCertificate(): SSLError {
  return new SSLError('invalid certificate', { library: 'X509V3', reason: 'INVALID_CERTIFICATE' });
}

function privateKeyOf(data: string | Uint8Array, password: Password | undefined): KeyObject {
  const isPem = typeof data === 'string';
  let source: string | Buffer = isPem ? data : Buffer.from(data);
  if (isPem) {
    const block = readPemBlocks(data).find((b) => KEY_LABELS.has(b.label));
    if (!block) throw pemLibError();
    source = toPem(block.label, block.der);
    const encrypted =
      block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(data);
    if (encrypted && password === undefined) throw pemLibError();
  }
  const passphrase = passwordText(password);
  try {
    return createPrivateKey(
      isPem
        ? { key: source, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) }
        : { key: source as Buffer, format: 'der', type: 'pkcs8' },
    );
  } catch (error) {
    throw pemLibError(error);
  }
}

/**
 * Builds checked engine credentials from certificate and key material (PEM text or DER bytes).
 * The key is kept decrypted in memory, as OpenSSL keeps it in an SSL_CTX.
 */
export function credentialsFrom(
  certData: string | Uint8Array,
  keyData: string | Uint8Array,
  password?: Password,
  securityLevel = DEFAULT_SECURITY_LEVEL,
): ContextCredentials {
  const certs = certificatesOf(certData);
  const leafDer = certs[0];
  if (!leafDer) throw pemLibError();
  // OpenSSL's order: SSL_CTX_use_certificate checks the leaf, each chain certificate is checked
  // as it is added, then the key is read and matched.
  const leaf = parsed(leafDer);
  if (hasInvalidExtensions(leafDer)) throw invalidCertificate();
  checkKeySecurity(leaf, securityLevel, 'end-entity');
  for (const der of certs.slice(1)) {
    const ca = parsed(der);
    if (hasInvalidExtensions(der)) throw invalidCertificate();
    checkKeySecurity(ca, securityLevel, 'ca');
  }
  const key = privateKeyOf(keyData, password);
  // A key of another type goes to another of OpenSSL's slots, where no certificate waits.
  if (key.asymmetricKeyType !== leaf.publicKey.asymmetricKeyType) {
    throw new SSLError('no certificate assigned', {
      library: 'SSL',
      reason: 'NO_CERTIFICATE_ASSIGNED',
    });
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new SSLError('key values mismatch', { library: 'X509', reason: 'KEY_VALUES_MISMATCH' });
  }
  return {
    certChainPem: certs.map((der) => toPem('CERTIFICATE', der)).join(''),
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }) as string,
    keyType: key.asymmetricKeyType ?? 'unknown',
    leaf,
  };
}

/**
 * The chains a context holds after loading `added`: it replaces the chain of its key type and
 * keeps the others, as SSL_CTX_use_certificate fills the slot of the certificate's key type.
 */
export function withCredentials(
  current: readonly ContextCredentials[],
  added: ContextCredentials,
): readonly ContextCredentials[] {
  return Object.freeze([...current.filter((c) => c.keyType !== added.keyType), added]);
}

/** Python's `load_cert_chain(certfile, keyfile, password)`: files, the key defaulting to certfile. */
export function credentialsFromFiles(
  certfile: string,
  keyfile?: string | null,
  password?: Password,
  securityLevel = DEFAULT_SECURITY_LEVEL,
): ContextCredentials {
  const certText = readFileSync(certfile, 'latin1');
  const keyText = keyfile ? readFileSync(keyfile, 'latin1') : certText;
  return credentialsFrom(certText, keyText, password, securityLevel);
}

/** loadCertChain's chain: `ciphers` (the context's cipher string) sets the security level. */
export function chainFromFiles(
  ciphers: string | undefined,
  certfile: string,
  keyfile?: string | null,
  password?: Password,
): ContextCredentials {
  return credentialsFromFiles(certfile, keyfile, password, securityLevelOf(ciphers));
}

/** What loadCertChainData takes: PEM text or DER bytes, the key defaulting to `cert`. */
export interface ChainData {
  cert: string | Uint8Array;
  key?: string | Uint8Array;
  password?: Password;
}

/** loadCertChainData's chain. */
export function chainFromData(ciphers: string | undefined, data: ChainData): ContextCredentials {
  const level = securityLevelOf(ciphers);
  return credentialsFrom(data.cert, data.key ?? data.cert, data.password, level);
}
