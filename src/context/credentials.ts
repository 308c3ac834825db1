/**
 * A context's own certificate chain and private key, loaded and checked as Python's
 * `load_cert_chain` checks them: the key must decrypt with the password and match the leaf.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EngineCredentials } from '../transport/sansio/engine.js';
import { SSLError } from '../errors/errors.js';
import { toPem } from '../x509/key-pair.js';
import { readPemBlocks } from './trust-store.js';

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

/** Certificates of a PEM text, or one DER certificate. */
function certificatesOf(data: string | Uint8Array): Buffer[] {
  if (typeof data !== 'string') return [Buffer.from(data)];
  return readPemBlocks(data)
    .filter((block) => block.label === 'CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE')
    .map((block) => block.der);
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
): EngineCredentials {
  const certs = certificatesOf(certData);
  const leafDer = certs[0];
  if (!leafDer) throw pemLibError();
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch (error) {
    throw pemLibError(error);
  }
  const key = privateKeyOf(keyData, password);
  if (!leaf.checkPrivateKey(key)) {
    throw new SSLError('key values mismatch', { library: 'X509', reason: 'KEY_VALUES_MISMATCH' });
  }
  return {
    certChainPem: certs.map((der) => toPem('CERTIFICATE', der)).join(''),
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}

/** Python's `load_cert_chain(certfile, keyfile, password)`: files, the key defaulting to certfile. */
export function credentialsFromFiles(
  certfile: string,
  keyfile?: string | null,
  password?: Password,
): EngineCredentials {
  const certText = readFileSync(certfile, 'latin1');
  const keyText = keyfile ? readFileSync(keyfile, 'latin1') : certText;
  return credentialsFrom(certText, keyText, password);
}
