/**
 * Key pairs for generated certificates, on Node's WebCrypto (`globalThis.crypto`, passed
 * explicitly: @peculiar/x509's global provider is never set). Keys leave as PKCS#8 PEM and come
 * back through `node:crypto`, which reads every PEM form OpenSSL writes (PKCS#8, SEC1, PKCS#1).
 */
import { createPrivateKey, type KeyObject, type webcrypto } from 'node:crypto';
import { typeError, ValueError } from '../errors/errors.js';

/** WebCrypto key and key-pair types (Node's, without the DOM lib). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** The key algorithms a generated certificate may have: ECDSA on P-256, or RSA. */
export type KeyType = 'ec' | 'rsa';
/** RSA modulus sizes accepted for generated keys (smaller ones are no longer safe). */
export type RsaModulusLength = 2048 | 3072 | 4096;

/** The RSA modulus size used when none is given. */
export const DEFAULT_RSA_BITS: RsaModulusLength = 2048;
const RSA_SIZES: readonly number[] = [2048, 3072, 4096];
/** F4, the RSA public exponent every current toolkit uses. */
const RSA_PUBLIC_EXPONENT = Uint8Array.of(0x01, 0x00, 0x01);
/** PEM bodies wrap at 64 columns (RFC 7468). */
const PEM_LINE_LENGTH = 64;

/** OpenSSL's curve names (as `asymmetricKeyDetails` reports them) to WebCrypto's. */
const CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** A private key ready to sign certificates with SHA-256. */
export interface SigningKey {
  privateKey: CryptoKey;
  /** The key as node:crypto sees it, to compare it with a certificate. */
  keyObject: KeyObject;
  /** The WebCrypto signature algorithm: ECDSA or RSASSA-PKCS1-v1_5, with SHA-256. */
  algorithm: { name: string; hash: string };
}

function subtle(): webcrypto.SubtleCrypto {
  return globalThis.crypto.subtle;
}

function signingAlgorithm(keyType: KeyType): { name: string; hash: string } {
  return { name: keyType === 'ec' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** Generates an extractable signing key pair: P-256 for `ec`, `rsaBits`-bit RSA for `rsa`. */
export async function generateKeyPair(
  keyType: KeyType = 'ec',
  rsaBits: RsaModulusLength = DEFAULT_RSA_BITS,
): Promise<CryptoKeyPair> {
  if (keyType === 'ec') {
    return subtle().generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  }
  if (keyType !== 'rsa') throw typeError('keyType', "'ec' or 'rsa'", keyType);
  if (!RSA_SIZES.includes(rsaBits)) {
    throw new ValueError(`rsaBits must be one of ${RSA_SIZES.join(', ')}, got ${rsaBits}`);
  }
  return subtle().generateKey(
    { ...signingAlgorithm('rsa'), modulusLength: rsaBits, publicExponent: RSA_PUBLIC_EXPONENT },
    true,
    ['sign', 'verify'],
  );
}

/** Wraps DER bytes in PEM armour with the given label. */
export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString(
    'base64',
  );
  const lines = base64.match(new RegExp(`.{1,${PEM_LINE_LENGTH}}`, 'g')) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', await subtle().exportKey('pkcs8', key));
}

/**
 * Reads a PEM private key (PKCS#8, SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, unencrypted)
 * into a WebCrypto signing key. ValueError for anything else.
 *
 * @param what how the key is called in error messages (`CA key`).
 */
export async function importSigningKey(pem: string, what = 'private key'): Promise<SigningKey> {
  if (typeof pem !== 'string') throw typeError(what, 'a PEM string', pem);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch (cause) {
    throw new ValueError(`${what} is not an unencrypted PEM private key`, { cause });
  }
  const keyType = keyObject.asymmetricKeyType;
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  if (keyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve ?? '';
    const namedCurve = CURVES[curve];
    if (namedCurve === undefined) throw new ValueError(`${what} uses unsupported curve ${curve}`);
    const privateKey = await subtle().importKey(
      'pkcs8',
      pkcs8,
      { name: 'ECDSA', namedCurve },
      false,
      ['sign'],
    );
    return { privateKey, keyObject, algorithm: signingAlgorithm('ec') };
  }
  if (keyType === 'rsa') {
    const algorithm = signingAlgorithm('rsa');
    const privateKey = await subtle().importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
    return { privateKey, keyObject, algorithm };
  }
  throw new ValueError(`${what} has unsupported key type ${keyType}; use an EC or RSA key`);
}
