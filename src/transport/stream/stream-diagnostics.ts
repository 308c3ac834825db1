/**
 * What secure streams publish on Node's `diagnostics_channel` (docs/architecture.md,
 * "Diagnostics"): the handshake's start and end, a certificate verification failure, and the
 * stream's close with its byte counts and why it ended.
 *
 * Free without subscribers: when a stream starts its handshake, one look at the channels decides
 * whether it reports at all (a {@link StreamReport}, else nothing: later events cost one
 * `undefined` check each); a reporting stream checks its channel's `hasSubscribers` once per event
 * before it makes a message. Nothing is published per byte: the byte counts come with the close.
 * A stream reports from its handshake start to its close, or not at all, so a subscriber that
 * pairs starts with closes (a live-connections gauge) never sees the close of a start it missed.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { SSLCertVerificationError, SSLEOFError, TLSTimeoutError } from '../../errors/errors.js';
import type { SSLSocket } from './ssl-socket.js';
import type { PeerState } from './stream-state.js';

/** `rxtls:handshake:start`: a stream starts its handshake. */
export const CHANNEL_HANDSHAKE_START = 'rxtls:handshake:start';
/** `rxtls:handshake:end`: a handshake completed (`ok`) or failed; once per start. */
export const CHANNEL_HANDSHAKE_END = 'rxtls:handshake:end';
/** `rxtls:verify:failure`: the peer's certificate failed verification. */
export const CHANNEL_VERIFY_FAILURE = 'rxtls:verify:failure';
/** `rxtls:stream:close`: a stream closed; once per start. */
export const CHANNEL_STREAM_CLOSE = 'rxtls:stream:close';

/** The message of {@link CHANNEL_HANDSHAKE_START}. */
export interface HandshakeStartMessage {
  readonly socket: SSLSocket<unknown>;
  readonly serverSide: boolean;
  /** The name a client asks for (SNI); null on a server. */
  readonly serverHostname: string | null;
}

/** The message of {@link CHANNEL_HANDSHAKE_END}. */
export interface HandshakeEndMessage {
  readonly socket: SSLSocket<unknown>;
  readonly serverSide: boolean;
  readonly ok: boolean;
  /** Milliseconds since the handshake started (a server's: since the connection came). */
  readonly durationMs: number;
  /** 'TLSv1.3', 'TLSv1.2', ...; null when it failed. */
  readonly version: string | null;
  /** The cipher suite's OpenSSL name; null when it failed. */
  readonly cipher: string | null;
  /** Whether a session was resumed. */
  readonly resumed: boolean;
  /** The ALPN protocol agreed on, or null. */
  readonly alpn: string | null;
  /** Why it failed (undefined when ok, and when the stream was closed before it completed). */
  readonly error: Error | undefined;
}

/** The message of {@link CHANNEL_VERIFY_FAILURE}. */
export interface VerifyFailureMessage {
  readonly socket: SSLSocket<unknown>;
  readonly serverSide: boolean;
  /** OpenSSL's X509_V_ERR_* code (Python's `verify_code`). */
  readonly verifyCode: number;
  /** OpenSSL's text for it (Python's `verify_message`). */
  readonly verifyMessage: string;
  readonly error: SSLCertVerificationError;
}

/**
 * Why a stream ended: the peer's close_notify ('close-notify'), an EOF without one
 * ('ragged-eof', taken as the end or failed with SSLEOFError), a timeout, another error, or a
 * local abort()/destroy() without one ('aborted').
 */
export type StreamCloseReason = 'close-notify' | 'ragged-eof' | 'timeout' | 'error' | 'aborted';

/** The message of {@link CHANNEL_STREAM_CLOSE}. */
export interface StreamCloseMessage {
  readonly socket: SSLSocket<unknown>;
  readonly serverSide: boolean;
  readonly reason: StreamCloseReason;
  /** The error that ended the stream, if one did. */
  readonly error: Error | undefined;
  /** Its class name ('SSLCertVerificationError', 'TLSTimeoutError', ...), or null. */
  readonly errorClass: string | null;
  /** Ciphertext bytes received and sent over the stream's life (as ReactorStats counts them). */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

const handshakeStart = diagnosticsChannel.channel(CHANNEL_HANDSHAKE_START);
const handshakeEnd = diagnosticsChannel.channel(CHANNEL_HANDSHAKE_END);
const verifyFailure = diagnosticsChannel.channel(CHANNEL_VERIFY_FAILURE);
const streamClose = diagnosticsChannel.channel(CHANNEL_STREAM_CLOSE);

/** Why a stream that ended with `error` (or none) and whose peer is in `peer` ended. */
function closeReason(error: Error | undefined, peer: PeerState): StreamCloseReason {
  if (error instanceof TLSTimeoutError) return 'timeout';
  if (error instanceof SSLEOFError) return 'ragged-eof';
  if (error !== undefined) return 'error';
  if (peer === 'close-notify') return 'close-notify';
  return peer === 'eof' ? 'ragged-eof' : 'aborted';
}

/** One reporting stream's part: made at its handshake start when someone listens. */
export class StreamReport {
  readonly #socket: SSLSocket<unknown>;
  readonly #startedAt = performance.now();
  #handshakeReported = false;

  private constructor(socket: SSLSocket<unknown>) {
    this.#socket = socket;
  }

  /** The report of a stream starting its handshake, or undefined when no rxtls channel is heard. */
  static begin(socket: SSLSocket<unknown>): StreamReport | undefined {
    const heard =
      handshakeStart.hasSubscribers ||
      handshakeEnd.hasSubscribers ||
      verifyFailure.hasSubscribers ||
      streamClose.hasSubscribers;
    if (!heard) return undefined;
    if (handshakeStart.hasSubscribers) {
      handshakeStart.publish({
        socket,
        serverSide: socket.serverSide,
        serverHostname: socket.serverHostname,
      } satisfies HandshakeStartMessage);
    }
    return new StreamReport(socket);
  }

  /** The handshake completed. */
  handshakeDone(): void {
    this.#handshakeEnded(true, undefined);
  }

  /** The stream failed with `error` (the close follows). */
  failed(error: Error): void {
    if (error instanceof SSLCertVerificationError && verifyFailure.hasSubscribers) {
      verifyFailure.publish({
        socket: this.#socket,
        serverSide: this.#socket.serverSide,
        verifyCode: error.verifyCode,
        verifyMessage: error.verifyMessage,
        error,
      } satisfies VerifyFailureMessage);
    }
    this.#handshakeEnded(false, error);
  }

  /** The stream closed, after `bytesIn`/`bytesOut` of ciphertext, with `error` if one ended it. */
  closed(error: Error | undefined, peer: PeerState, bytesIn: number, bytesOut: number): void {
    // A handshake cut short by a close without an error (abort, the transport gone) ends here.
    this.#handshakeEnded(false, error);
    if (!streamClose.hasSubscribers) return;
    streamClose.publish({
      socket: this.#socket,
      serverSide: this.#socket.serverSide,
      reason: closeReason(error, peer),
      error,
      errorClass: error ? error.constructor.name : null,
      bytesIn,
      bytesOut,
    } satisfies StreamCloseMessage);
  }

  #handshakeEnded(ok: boolean, error: Error | undefined): void {
    if (this.#handshakeReported) return;
    this.#handshakeReported = true;
    if (!handshakeEnd.hasSubscribers) return;
    const socket = this.#socket;
    handshakeEnd.publish({
      socket,
      serverSide: socket.serverSide,
      ok,
      durationMs: performance.now() - this.#startedAt,
      version: ok ? socket.version() : null,
      cipher: ok ? (socket.cipher()?.[0] ?? null) : null,
      resumed: ok && socket.sessionReused,
      alpn: ok ? socket.selectedAlpnProtocol() : null,
      error,
    } satisfies HandshakeEndMessage);
  }
}
