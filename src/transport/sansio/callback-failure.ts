/**
 * What a connection fails with when code it calls back (a key log write, a PSK or SNI callback, an
 * engine's own event handler) throws: an SSLError with the thrown value as its cause, never the
 * bare exception, so a caller that catches SSLError sees every way a connection can fail. The
 * failure is that connection's alone (docs/architecture.md, Containment).
 */
import { SSLError } from '../../errors/errors.js';

/** `error` if it is an SSLError already; else an SSLError naming `what` failed, caused by it. */
export function callbackFailure(what: string, error: unknown): SSLError {
  if (error instanceof SSLError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new SSLError(`${what} failed: ${detail}`, { cause: error });
}
