/**
 * The error hierarchy of Python's `ssl` module, in TypeScript.
 *
 * Every error carries a stable `code` string (undici's habit) so callers can switch on it without
 * parsing messages, and keeps whatever it was derived from on `cause`. The messages follow
 * Python's `str(error)` so that logs read the same in both worlds, without the `(_ssl.c:NNNN)`
 * source location that only makes sense inside CPython.
 */

/** Python's `ssl.SSLErrorNumber`: the `SSL_get_error()` value an error stands for. */
export enum SSLErrorNumber {
  SSL_ERROR_SSL = 1,
  SSL_ERROR_WANT_READ = 2,
  SSL_ERROR_WANT_WRITE = 3,
  SSL_ERROR_WANT_X509_LOOKUP = 4,
  SSL_ERROR_SYSCALL = 5,
  SSL_ERROR_ZERO_RETURN = 6,
  SSL_ERROR_WANT_CONNECT = 7,
  SSL_ERROR_EOF = 8,
  SSL_ERROR_INVALID_ERROR_CODE = 10,
  /**
   * rxtls's addition (OpenSSL's SSL_ERROR_WANT_CLIENT_HELLO_CB): the handshake waits for the
   * server's asynchronous certificate lookup (see {@link SSLWantClientHelloError}).
   */
  SSL_ERROR_WANT_CLIENT_HELLO_CB = 11,
}

/** What an {@link SSLError} may be told beyond its message. */
export interface SSLErrorDetails {
  /** OpenSSL's library name for the error, such as `SSL` or `PEM`. */
  library?: string;
  /** OpenSSL's mnemonic, such as `CERTIFICATE_VERIFY_FAILED` or `WRONG_VERSION_NUMBER`. */
  reason?: string;
  /** The lower-level error this one was derived from. */
  cause?: unknown;
}

/**
 * A TLS failure, as Python's `ssl.SSLError`.
 *
 * @example
 * ```ts
 * try { sslobj.doHandshake(); } catch (e) {
 *   if (e instanceof SSLError) console.log(e.reason); // 'CERTIFICATE_VERIFY_FAILED'
 * }
 * ```
 */
export class SSLError extends Error {
  override name = 'SSLError';
  /** OpenSSL's library name (`SSL`, `PEM`, `X509`...), when known. */
  readonly library: string | undefined;
  /** OpenSSL's reason mnemonic, when known. */
  readonly reason: string | undefined;
  /** A stable identifier: `ERR_SSL_<REASON>` or the subclass's own code. */
  readonly code: string;
  /** Python's `errno` of the error: one of {@link SSLErrorNumber}. */
  readonly errno: SSLErrorNumber;

  constructor(message: string, details: SSLErrorDetails = {}) {
    // Python's formats: "[SSL: REASON] text" with a reason, "[SSL] text" with a library only.
    const prefix =
      details.reason !== undefined
        ? `[${details.library ?? 'SSL'}: ${details.reason}] `
        : details.library !== undefined
          ? `[${details.library}] `
          : '';
    super(prefix + message, details.cause === undefined ? undefined : { cause: details.cause });
    this.library = details.reason === undefined ? details.library : (details.library ?? 'SSL');
    this.reason = details.reason;
    this.code = details.reason === undefined ? 'ERR_SSL' : `ERR_SSL_${details.reason}`;
    this.errno = SSLErrorNumber.SSL_ERROR_SSL;
  }
}

/** The peer closed the TLS session cleanly (close_notify). */
export class SSLZeroReturnError extends SSLError {
  override name = 'SSLZeroReturnError';
  override readonly code = 'ERR_SSL_ZERO_RETURN';
  override readonly errno = SSLErrorNumber.SSL_ERROR_ZERO_RETURN;
  constructor(message = 'TLS/SSL connection has been closed (EOF)', details: SSLErrorDetails = {}) {
    super(message, details);
  }
}

/** The call needs more ciphertext in the incoming BIO before it can finish; retry after feeding it. */
export class SSLWantReadError extends SSLError {
  override name = 'SSLWantReadError';
  override readonly code = 'ERR_SSL_WANT_READ';
  override readonly errno = SSLErrorNumber.SSL_ERROR_WANT_READ;
  constructor(message = 'The operation did not complete (read)', details: SSLErrorDetails = {}) {
    // Thrown on every call that has to wait (control flow, as in Python): a stack trace would
    // cost more than the TLS work of a small record, and says nothing.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, details);
    Error.stackTraceLimit = limit;
  }
}

/** The outgoing BIO is above its high-water mark; flush it to the transport, then retry. */
export class SSLWantWriteError extends SSLError {
  override name = 'SSLWantWriteError';
  override readonly code = 'ERR_SSL_WANT_WRITE';
  override readonly errno = SSLErrorNumber.SSL_ERROR_WANT_WRITE;
  constructor(message = 'The operation did not complete (write)', details: SSLErrorDetails = {}) {
    // Thrown on every call that has to wait (control flow, as in Python): a stack trace would
    // cost more than the TLS work of a small record, and says nothing.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, details);
    Error.stackTraceLimit = limit;
  }
}

/**
 * A server's handshake waits for its certificate lookup (`SSLContext.setCertificateSelector`):
 * OpenSSL's SSL_ERROR_WANT_CLIENT_HELLO_CB, a readiness state beside want-read and want-write.
 * Retry `doHandshake()` once `settled` has resolved (it never rejects: a failed lookup shows as
 * the retried handshake's error). Not an {@link isWouldBlock} error: feeding ciphertext does not
 * end this wait, the lookup does.
 *
 * @example
 * ```ts
 * try { server.doHandshake(); } catch (e) {
 *   if (e instanceof SSLWantClientHelloError) await e.settled; else if (!isWouldBlock(e)) throw e;
 * }
 * ```
 */
export class SSLWantClientHelloError extends SSLError {
  override name = 'SSLWantClientHelloError';
  override readonly code = 'ERR_SSL_WANT_CLIENT_HELLO_CB';
  override readonly errno = SSLErrorNumber.SSL_ERROR_WANT_CLIENT_HELLO_CB;
  /** Resolves when the lookup has an answer (or was given up): retry the handshake then. */
  readonly settled: Promise<void>;
  constructor(
    settled: Promise<void>,
    message = 'The operation did not complete (client hello callback)',
    details: SSLErrorDetails = {},
  ) {
    // Control flow, thrown on every retry while the lookup runs: no stack trace (as want-read).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, details);
    Error.stackTraceLimit = limit;
    this.settled = settled;
  }
}

/** The transport failed underneath TLS. */
export class SSLSyscallError extends SSLError {
  override name = 'SSLSyscallError';
  override readonly code = 'ERR_SSL_SYSCALL';
  override readonly errno = SSLErrorNumber.SSL_ERROR_SYSCALL;
  constructor(message = 'Some I/O error occurred', details: SSLErrorDetails = {}) {
    super(message, details);
  }
}

/** The transport ended without the peer's close_notify (a truncation, or a ragged EOF). */
export class SSLEOFError extends SSLError {
  override name = 'SSLEOFError';
  override readonly code = 'ERR_SSL_EOF';
  override readonly errno = SSLErrorNumber.SSL_ERROR_EOF;
  constructor(
    message = 'EOF occurred in violation of protocol',
    details: SSLErrorDetails = { reason: 'UNEXPECTED_EOF_WHILE_READING' },
  ) {
    super(message, details);
  }
}

/** What a certificate verification failure reports, as OpenSSL's `X509_V_ERR_*`. */
export interface VerificationDetails extends SSLErrorDetails {
  /** OpenSSL's `X509_V_ERR_*` number (`20`: unable to get local issuer certificate). */
  verifyCode?: number;
  /** OpenSSL's text for it (`certificate has expired`). */
  verifyMessage?: string;
}

/**
 * A certificate failed verification: chain, validity, revocation or hostname. The same class as
 * {@link CertificateError}, as in Python 3.7+.
 */
export class SSLCertVerificationError extends SSLError {
  override name = 'SSLCertVerificationError';
  /** OpenSSL's `X509_V_ERR_*` number. */
  readonly verifyCode: number;
  /** OpenSSL's text for {@link verifyCode}. */
  readonly verifyMessage: string;

  constructor(message: string, details: VerificationDetails = {}) {
    super(message, details);
    this.verifyCode = details.verifyCode ?? 0;
    this.verifyMessage = details.verifyMessage ?? message;
  }

  /**
   * The error a handshake reports when the peer's certificate fails verification, worded as
   * Python's: `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: <verifyMessage>`.
   */
  static fromVerifyResult(verifyCode: number, verifyMessage: string, cause?: unknown) {
    return new SSLCertVerificationError(`certificate verify failed: ${verifyMessage}`, {
      library: 'SSL',
      reason: 'CERTIFICATE_VERIFY_FAILED',
      verifyCode,
      verifyMessage,
      cause,
    });
  }
}

/** Python's `ssl.CertificateError`: an alias of {@link SSLCertVerificationError}. */
export const CertificateError = SSLCertVerificationError;
/** The instance type of {@link CertificateError}. */
export type CertificateError = SSLCertVerificationError;

/** Python's `ValueError`: a value of the right type but wrong content, or a call out of order. */
export class ValueError extends Error {
  override name = 'ValueError';
  readonly code: string = 'ERR_RXTLS_VALUE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Python's `UnicodeError` (a ValueError): text a codec cannot encode, such as a server_hostname
 * that IDNA refuses (an empty label, a prohibited character).
 */
export class UnicodeError extends ValueError {
  override name = 'UnicodeError';
  override readonly code: string = 'ERR_RXTLS_UNICODE';
}

/** Python's `NotImplementedError`: a feature the OpenSSL inside Node does not offer (NPN). */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
  readonly code: string = 'ERR_RXTLS_NOT_IMPLEMENTED';
}

/** Throws a `TypeError` naming what was expected, worded as Python's argument errors. */
export function typeError(what: string, expected: string, got: unknown): TypeError {
  const gotName = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  const error = new TypeError(`${what} must be ${expected}, not ${gotName}`);
  Object.defineProperty(error, 'code', { value: 'ERR_INVALID_ARG_TYPE', enumerable: true });
  return error;
}

/** Which timeout ended a connection. */
export type TimeoutPhase = 'handshake' | 'idle' | 'shutdown' | 'lookup';

/**
 * A secure stream took too long: the handshake (default 60 s, as asyncio), an idle period (off by
 * default), the wait for the peer's close_notify (default 30 s), or a server's certificate lookup
 * (`setCertificateSelector`, default 5 s).
 */
export class TLSTimeoutError extends Error {
  override name = 'TLSTimeoutError';
  readonly code: string;
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;
  constructor(phase: TimeoutPhase, timeoutMs: number) {
    const what =
      phase === 'handshake'
        ? 'tls handshake did not complete'
        : phase === 'idle'
          ? 'connection was idle'
          : phase === 'lookup'
            ? 'certificate lookup did not complete'
            : 'peer did not answer close_notify';
    super(`${what} within ${timeoutMs} ms`);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
    this.code = `ERR_RXTLS_${phase.toUpperCase()}_TIMEOUT`;
  }
}

/**
 * Whether `error` only says "not yet": SSLWantReadError or SSLWantWriteError, after which the same
 * call is retried once the transport is ready (Python's `except (SSLWantReadError,
 * SSLWantWriteError)`). Every retry loop in rxtls asks this one question.
 *
 * @example
 * ```ts
 * try { sslobj.doHandshake(); } catch (e) { if (!isWouldBlock(e)) throw e; }
 * ```
 */
export function isWouldBlock(error: unknown): error is SSLWantReadError | SSLWantWriteError {
  return error instanceof SSLWantReadError || error instanceof SSLWantWriteError;
}

/**
 * OpenSSL's refusals of a call made at the wrong time (writing after our close_notify, unwrapping
 * before the handshake): the call fails, the connection carries on as it was (Python's does).
 */
const MISUSE_REASONS: ReadonlySet<string> = new Set([
  'PROTOCOL_IS_SHUTDOWN',
  'SHUTDOWN_WHILE_IN_INIT',
]);

/**
 * Whether an error a driving call threw ends the connection, so that every later driving call
 * throws it again. Python would answer those later calls with whatever OpenSSL's dead state gives
 * (SSLSyscallError "Some I/O error occurred", SHUTDOWN_WHILE_IN_INIT); rxtls keeps the first
 * error instead. Not fatal: "not yet" (want-read, want-write), the peer's close_notify
 * (SSLZeroReturnError, which later calls report for themselves), misuse refusals, and anything
 * that is not an SSLError (a destroyed engine's ValueError, NotImplementedError).
 */
export function isFatal(error: unknown): error is SSLError {
  if (!(error instanceof SSLError)) return false;
  switch (error.errno) {
    case SSLErrorNumber.SSL_ERROR_WANT_READ:
    case SSLErrorNumber.SSL_ERROR_WANT_WRITE:
    case SSLErrorNumber.SSL_ERROR_WANT_CLIENT_HELLO_CB:
    case SSLErrorNumber.SSL_ERROR_ZERO_RETURN:
      return false;
    default:
      return error.reason === undefined || !MISUSE_REASONS.has(error.reason);
  }
}

/**
 * Want-read and want-write are control flow, thrown for every record a stream waits for: a stack
 * trace costs most of their price and says nothing useful, so engines make them without one
 * (Netty's stackless exceptions do the same).
 */
function stackless<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A stackless {@link SSLWantReadError}, for engines' hot paths. */
export function wantRead(): SSLWantReadError {
  return stackless(() => new SSLWantReadError());
}

/** A stackless {@link SSLWantWriteError}, for engines' hot paths. */
export function wantWrite(): SSLWantWriteError {
  return stackless(() => new SSLWantWriteError());
}

/**
 * A framed stream (`lines()`, `lengthPrefixed()`) met a frame longer than its maximum: the
 * stream ends with this error instead of buffering without bound.
 */
export class FrameTooLongError extends Error {
  override name = 'FrameTooLongError';
  readonly code: string = 'ERR_RXTLS_FRAME_TOO_LONG';
  /** The limit the frame exceeded. */
  readonly maxLength: number;
  /** The frame's length: announced by its header, or the bytes seen before giving up. */
  readonly length: number;
  constructor(length: number, maxLength: number) {
    super(`frame of ${length} bytes exceeds the maximum of ${maxLength}`);
    this.length = length;
    this.maxLength = maxLength;
  }
}

/**
 * A STARTTLS negotiation failed before TLS began: the peer refused the upgrade, closed, sent a
 * line too long, or sent plaintext after the upgrade command (command injection, refused).
 */
export class StartTlsError extends Error {
  override name = 'StartTlsError';
  readonly code: string = 'ERR_RXTLS_STARTTLS';
  /** The peer's reply that refused the upgrade, when one did. */
  readonly reply: string | undefined;
  constructor(message: string, options: { reply?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reply = options.reply;
  }
}
