/**
 * Node reports OpenSSL failures as Errors with `code: 'ERR_SSL_<REASON>'`, `library: 'SSL
 * routines'` and `reason: '<text>'`. These become Python's SSLError shape:
 * `[SSL: WRONG_VERSION_NUMBER] wrong version number`.
 */
import { SSLError } from '../../../errors/errors.js';

/** OpenSSL's long library names as Node reports them, and Python's short ones. */
const LIBRARY_NAMES = new Map([
  ['SSL routines', 'SSL'],
  ['PEM routines', 'PEM'],
  ['X509 certificate routines', 'X509'],
  ['x509 certificate routines', 'X509'],
  ['asn1 encoding routines', 'ASN1'],
  ['digital envelope routines', 'EVP'],
  ['Provider routines', 'PROV'],
  ['provider routines', 'PROV'],
  ['DECODER routines', 'DECODER'],
  ['elliptic curve routines', 'EC'],
  ['rsa routines', 'RSA'],
  ['BIO routines', 'BIO'],
  ['system library', 'SYS'],
]);

interface NodeOpenSSLError {
  code?: unknown;
  library?: unknown;
  reason?: unknown;
  message?: unknown;
}

/** Converts whatever Node threw or emitted into an SSLError (returned unchanged if it is one). */
export function mapNodeError(error: unknown, cause: unknown = error): SSLError {
  if (error instanceof SSLError) return error;
  const e = (error ?? {}) as NodeOpenSSLError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const text = typeof e.reason === 'string' ? e.reason : String(e.message ?? error);
  if (code?.startsWith('ERR_SSL_')) {
    const library = typeof e.library === 'string' ? LIBRARY_NAMES.get(e.library) : undefined;
    return new SSLError(text, { library: library ?? 'SSL', reason: code.slice(8), cause });
  }
  if (code?.startsWith('ERR_OSSL_')) {
    const library = typeof e.library === 'string' ? LIBRARY_NAMES.get(e.library) : undefined;
    return new SSLError(text, { library: library ?? 'SSL', reason: code.slice(9), cause });
  }
  return new SSLError(text, { cause });
}

/**
 * An error a TLSSocket reported, as Python reports it. Node keeps the FIRST error of OpenSSL's
 * queue and Python the LAST: when an AEAD record fails to decrypt, the queue holds the provider's
 * CIPHER_OPERATION_FAILED and then the record layer's DECRYPTION_FAILED_OR_BAD_RECORD_MAC, which
 * is the one Python shows.
 */
export function mapTlsSocketError(error: unknown, hookError?: unknown): SSLError {
  // A callback that failed (a PSK callback) caused what OpenSSL reports: chain it, as native does.
  const cause = hookError ?? error;
  const mapped = mapNodeError(error, cause);
  if (mapped.library === 'PROV' && mapped.reason === 'CIPHER_OPERATION_FAILED') {
    return new SSLError('decryption failed or bad record mac', {
      library: 'SSL',
      reason: 'DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
      cause,
    });
  }
  return mapped;
}
