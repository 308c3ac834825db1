/**
 * What SSLContext's callers hand it: Python's callbacks (SNI, PSK) and the options of the
 * constructor, wrapBio() and wrapSocket(), and what session_stats() answers.
 */
import type { EngineKind } from '../transport/sansio/engine.js';
import type { SSLObject, SSLSession } from '../transport/sansio/ssl-object.js';
import type { Reactor } from '../transport/stream/reactor.js';
import type { SSLSocketOptions } from '../transport/stream/stream-options.js';
import type { SSLContext } from './ssl-context.js';

/**
 * Python's SNI callback: called on a server with the connection, the name the client asked for
 * (null if none) and this context. Assign `sslobj.context` to serve another certificate; return
 * an `ALERT_DESCRIPTION_*` number to refuse with that alert.
 */
export type SniCallback = (
  sslobj: SSLObject<SSLContext>,
  serverName: string | null,
  context: SSLContext,
) => number | undefined | null | undefined;

/** A client's PSK callback: the server's identity hint in, `[identity, key]` out. */
export type PskClientCallback = (hint: string | null) => [string | null, Uint8Array];
/** A server's PSK callback: the client's identity in, the key out (empty bytes: unknown). */
export type PskServerCallback = (identity: string | null) => Uint8Array;

/** Options of the SSLContext constructor beyond Python's. */
export interface SSLContextOptions {
  /** Which engine runs connections: `native` (the addon) or `node` (`node:tls`). */
  engine?: EngineKind;
}

/** Options of {@link SSLContext.wrapBio}. */
export interface WrapBioOptions {
  serverSide?: boolean;
  serverHostname?: string | null;
  session?: SSLSession | null;
}

/** Options of {@link SSLContext.wrapSocket}: wrapBio's, the stream's, and the reactor to use. */
export interface WrapSocketOptions extends WrapBioOptions, SSLSocketOptions {
  /** The reactor that accounts for the stream (default: the process's). */
  reactor?: Reactor;
}

/** Python's `session_stats()` keys. */
export interface SessionStats {
  number: number;
  connect: number;
  connect_good: number;
  connect_renegotiate: number;
  accept: number;
  accept_good: number;
  accept_renegotiate: number;
  hits: number;
  misses: number;
  timeouts: number;
  cache_full: number;
}
