/**
 * Turns the addon's description of an OpenSSL failure into Python's exception, as CPython's
 * PySSL_SetError and fill_and_set_sslerror choose the class and word the message.
 */
import {
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLErrorNumber,
  SSLSyscallError,
  SSLWantReadError,
  SSLWantWriteError,
  wantRead,
  wantWrite,
  SSLZeroReturnError,
} from '../../../errors/errors.js';
import { verifyMessageFor } from '../../../errors/verify-codes.js';
import type { NativeErrorDescription } from './native-binding.js';

/** Whether a thrown value is an error description made by the addon. */
export function isNativeErrorDescription(value: unknown): value is NativeErrorDescription {
  return typeof value === 'object' && value !== null && 'rxtlsNative' in value;
}

type ErrorClass = new (
  message: string,
  details: { library?: string; reason?: string; cause?: unknown },
) => SSLError;

/** Python's "[LIB: REASON] text", "[LIB] text" or "text": SSLError adds the prefix. */
function make(
  type: ErrorClass,
  errstr: string,
  d: NativeErrorDescription,
  cause: unknown,
): SSLError {
  const { library, reason } = d;
  if (reason !== undefined) return new type(errstr, { library: library ?? 'SSL', reason, cause });
  return new type(errstr, library === undefined ? { cause } : { library, cause });
}

/**
 * The SSLError subclass Python raises for this failure.
 * @param hostname the connection's server_hostname, for the mismatch messages
 * @param cause an exception a user callback threw during the call (Python chains it)
 */
export function nativeError(
  d: NativeErrorDescription,
  hostname: string | null = null,
  cause?: unknown,
): SSLError {
  const queued = d.lib !== undefined;
  switch (d.sslError) {
    case SSLErrorNumber.SSL_ERROR_ZERO_RETURN:
      return make(SSLZeroReturnError, 'TLS/SSL connection has been closed (EOF)', d, cause);
    case SSLErrorNumber.SSL_ERROR_WANT_READ:
      if (cause === undefined) return wantRead();
      return make(SSLWantReadError, 'The operation did not complete (read)', d, cause);
    case SSLErrorNumber.SSL_ERROR_WANT_WRITE:
      if (cause === undefined) return wantWrite();
      return make(SSLWantWriteError, 'The operation did not complete (write)', d, cause);
    case SSLErrorNumber.SSL_ERROR_WANT_X509_LOOKUP:
      return make(SSLError, 'The operation did not complete (X509 lookup)', d, cause);
    case SSLErrorNumber.SSL_ERROR_WANT_CONNECT:
      return make(SSLError, 'The operation did not complete (connect)', d, cause);
    case SSLErrorNumber.SSL_ERROR_SYSCALL:
      if (!queued) {
        return d.ret === 0
          ? make(SSLEOFError, 'EOF occurred in violation of protocol', d, cause)
          : make(SSLSyscallError, 'Some I/O error occurred', d, cause);
      }
      return make(SSLError, d.reasonText ?? 'unknown error', d, cause);
    case SSLErrorNumber.SSL_ERROR_SSL:
      return sslLibraryError(d, hostname, cause);
    default:
      return make(SSLError, 'Invalid error code', d, cause);
  }
}

function sslLibraryError(
  d: NativeErrorDescription,
  hostname: string | null,
  cause: unknown,
): SSLError {
  if (d.lib === undefined) {
    return make(SSLError, d.message ?? 'A failure in the SSL library occurred', d, cause);
  }
  if (d.reason === 'CERTIFICATE_VERIFY_FAILED' && d.verifyCode !== undefined) {
    const message = verifyMessageFor(d.verifyCode, hostname, d.verifyMessage ?? 'unknown error');
    return SSLCertVerificationError.fromVerifyResult(d.verifyCode, message, cause);
  }
  if (d.reason === 'UNEXPECTED_EOF_WHILE_READING') {
    return make(SSLEOFError, 'EOF occurred in violation of protocol', d, cause);
  }
  if (d.systemError !== undefined) {
    return make(SSLSyscallError, d.reasonText ?? 'Some I/O error occurred', d, cause);
  }
  return make(SSLError, d.message ?? d.reasonText ?? 'unknown error', d, cause);
}
