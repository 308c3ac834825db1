/**
 * OpenSSL's security levels as `SSL_CTX_use_certificate` and `SSL_CTX_add0_chain_cert` apply them
 * to a context's own certificates: a key whose security bits fall below the level's minimum is
 * refused with `EE_KEY_TOO_SMALL` (the leaf) or `CA_KEY_TOO_SMALL` (a chain certificate).
 */
import type { KeyObject } from 'node:crypto';
import { SSLError } from '../errors/errors.js';

/** Python's default cipher string starts with `@SECLEVEL=2`. */
export const DEFAULT_SECURITY_LEVEL = 2;

/** Minimum security bits per level 0..5 (OpenSSL's ssl_security_default_callback). */
const MINIMUM_BITS = [0, 80, 112, 128, 192, 256];

/** The level a cipher string selects: its last `@SECLEVEL=n`, else Python's default. */
export function securityLevelOf(ciphers: string | undefined): number {
  const levels = [...(ciphers ?? '').matchAll(/@SECLEVEL=(\d)/g)];
  const last = levels.at(-1)?.[1];
  return last === undefined ? DEFAULT_SECURITY_LEVEL : Math.min(Number(last), 5);
}

/** BN_security_bits for a finite-field key of `bits` bits (RSA, DSA, DH). */
function finiteFieldBits(bits: number): number {
  if (bits >= 15360) return 256;
  if (bits >= 7680) return 192;
  if (bits >= 3072) return 128;
  if (bits >= 2048) return 112;
  if (bits >= 1024) return 80;
  return 0;
}

/** EC_GROUP order bits to security bits, as OpenSSL's EC key method reports them. */
const CURVE_ORDER_BITS: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

function ecBits(orderBits: number): number {
  if (orderBits >= 512) return 256;
  if (orderBits >= 384) return 192;
  if (orderBits >= 256) return 128;
  if (orderBits >= 224) return 112;
  if (orderBits >= 160) return 80;
  return Math.floor(orderBits / 2);
}

/** EVP_PKEY_get_security_bits of a public key (undefined: a type OpenSSL rates otherwise). */
export function securityBits(key: KeyObject): number | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return finiteFieldBits(details.modulusLength ?? 0);
    case 'dsa':
      return Math.min(
        finiteFieldBits(details.modulusLength ?? 0),
        (details.divisorLength ?? 0) / 2,
      );
    case 'ec': {
      const order = CURVE_ORDER_BITS[details.namedCurve ?? ''];
      return order === undefined ? undefined : ecBits(order);
    }
    case 'ed25519':
      return 128;
    case 'ed448':
      return 224;
    default:
      return undefined;
  }
}

/**
 * Throws Python's error when the certificate's key is too small for `level` (`role`: whose key
 * it is). A key that cannot be decoded at all rates as 0 bits, as OpenSSL's security check finds
 * no key to rate: refused at any level above 0.
 */
export function checkKeySecurity(
  cert: { readonly publicKey: KeyObject },
  level: number,
  role: 'end-entity' | 'ca',
): void {
  let bits: number | undefined;
  try {
    bits = securityBits(cert.publicKey);
  } catch {
    bits = 0;
  }
  if (bits === undefined || bits >= (MINIMUM_BITS[level] ?? 0)) return;
  throw role === 'end-entity'
    ? new SSLError('ee key too small', { library: 'SSL', reason: 'EE_KEY_TOO_SMALL' })
    : new SSLError('ca key too small', { library: 'SSL', reason: 'CA_KEY_TOO_SMALL' });
}
