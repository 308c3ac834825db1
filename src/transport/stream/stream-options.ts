/**
 * What a secure stream is made with (`ctx.wrapSocket`, `connect`, servers), and what it tells the
 * reactor that accounts for it.
 */
import type { SSLSocket } from './ssl-socket.js';

/** Options of a secure stream (`ctx.wrapSocket`, `connect`, servers). */
export interface SSLSocketOptions {
  /** Start the handshake at once (default true), as Python's `do_handshake_on_connect`. */
  doHandshakeOnConnect?: boolean;
  /** Treat an EOF without close_notify as a clean end (default true, as Python). */
  suppressRaggedEofs?: boolean;
  /** Give up the handshake after this long; 0 disables (default 60 000, as asyncio). */
  handshakeTimeoutMs?: number;
  /** End the connection after this long without traffic; 0 disables (the default). */
  idleTimeoutMs?: number;
  /** Wait this long for the peer's close_notify on close() (default 30 000, as asyncio). */
  shutdownTimeoutMs?: number;
  /** Per-direction buffering before backpressure applies (default 64 KiB). */
  highWaterMark?: number;
  /**
   * Answer the peer's close_notify with ours once the reader has seen the end (default true, as
   * asyncio); false keeps our direction open until close() (TLS half-close). See closeOnPeerEnd.
   */
  closeOnPeerEnd?: boolean;
  /**
   * data$ lends its chunks (default false): they are views into buffers rxtls reuses, valid
   * until the subscriber's next() returns, as with net.Socket's `onread`. For readers that
   * are done with each chunk when next() returns (an echo that writes it back: write() encrypts
   * or copies at once; a parser that copies what it keeps); it spares the garbage collector one
   * buffer per read, which is most of the cost of bulk transfer. read() always returns owned
   * bytes, as do chunks the stream read before data$ had a subscriber.
   */
  borrowedReads?: boolean;
}

/** What a stream tells its reactor. */
export interface StreamObserver {
  /** A handshake ended: `ok` or failed, and whether it resumed a session. */
  onHandshake(ok: boolean, resumed: boolean): void;
  onBytes(direction: 'in' | 'out', count: number): void;
  onClosed(socket: SSLSocket): void;
}
