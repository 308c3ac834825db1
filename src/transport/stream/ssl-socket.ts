/**
 * SSLSocket: the secure stream. It drives one SSLObject over one Transport, moving ciphertext
 * between them exactly when that can make progress (on transport data, on drain, and on the
 * engine's readiness events), and offers the decrypted stream as a Transport itself, so TLS nests.
 * This file is the pump and its flows (handshake, incoming, outgoing, shutdown); its parts sit
 * beside it: the state machines (stream-state.ts, whose header has the tables), the plaintext
 * reader, the write queue, the timers, the ciphertext path and the information getters
 * (docs/architecture.md, "The secure stream").
 */
import type { Observable } from 'rxjs';
import {
  isWouldBlock,
  SSLEOFError,
  SSLError,
  SSLSyscallError,
  SSLWantClientHelloError,
  TLSTimeoutError,
  ValueError,
} from '../../errors/errors.js';
import { STREAM_HIGH_WATER_MARK } from '../limits.js';
import { PrefixedTransport } from '../prefixed-transport.js';
import type { ReadinessEvent, SSLObject } from '../sansio/ssl-object.js';
import type { Transport } from '../transport.js';
import { type CiphertextPath, type CiphertextSink, ciphertextPathFor } from './ciphertext-path.js';
import { StreamOutcomes } from './outcome.js';
import { WHEN_CLOSED } from './close-hook.js';
import { PlaintextReader, type ReaderHost } from './plaintext-reader.js';
import { ShutdownNegotiation } from './shutdown-negotiation.js';
import { StreamReport } from './stream-diagnostics.js';
import type { SSLSocketOptions, StreamObserver } from './stream-options.js';
import { type SecureStreamState, StreamState } from './stream-state.js';
import { SecureStreamSurface } from './stream-surface.js';
import { StreamTimers } from './stream-timers.js';
import { WriteQueue, type WriterHost } from './write-queue.js';

/**
 * The secure stream over a transport.
 *
 * @example
 * ```ts
 * const tls = await connect({ host: 'localhost', port: 8443, context: ctx });
 * tls.data$.subscribe((bytes) => console.log(bytes.toString()));
 * tls.write(Buffer.from('hello'));
 * await tls.close();
 * ```
 */
export class SSLSocket<C = unknown> extends SecureStreamSurface<C> implements Transport {
  readonly #observer: StreamObserver;
  /** How ciphertext moves between the transport and the engine, chosen once (ciphertext-path.ts). */
  readonly #path: CiphertextPath;
  readonly #state = new StreamState();
  readonly #reader: PlaintextReader;
  readonly #writer: WriteQueue;
  readonly #timers: StreamTimers;
  readonly #shutdown: ShutdownNegotiation;
  readonly #suppressRaggedEofs: boolean;
  #closeOnPeerEnd: boolean;

  #handshakeStarted = false;
  #error: Error | undefined;
  /** What this stream publishes on the rxtls diagnostics channels, if anyone listens (stream-diagnostics.ts). */
  #report: StreamReport | undefined;
  /** Ciphertext handed to the transport (the path counts what it received). */
  #bytesOut = 0;
  readonly #outcomes = new StreamOutcomes();
  #pumping = false;
  #pumpAgain = false;
  /** This stream's SSLObject onReadiness (cleared at the end only if still there). */
  readonly #hearReadiness = (event: ReadinessEvent): void => this.#onReadiness(event);

  /**
   * The stream as its reader, write queue and ciphertext path see it. A class inside this one
   * reaches its private state; each stream holds one small instance of it instead of a dozen
   * closures (docs/architecture.md, "Memory per idle connection").
   */
  static readonly #Host = class StreamHost implements ReaderHost, WriterHost, CiphertextSink {
    socket!: SSLSocket<unknown>;
    failure(): Error | undefined {
      return this.socket.#error;
    }
    peerDone(): boolean {
      return this.socket.#state.peerDone;
    }
    state(): SecureStreamState {
      return this.socket.#state.stream;
    }
    unsent(): number {
      return this.socket.#path.unsent;
    }
    pump(): void {
      this.socket.#pump();
    }
    touch(): void {
      this.socket.#timers.touch();
    }
    endSeen(): void {
      this.socket.#onEndSeen();
    }
    fail(error: unknown): void {
      this.socket.#fail(error);
    }
    arrived(count: number): void {
      this.socket.#onCiphertextArrived(count);
    }
    sent(count: number): void {
      this.socket.#bytesOut += count;
      this.socket.#observer.onBytes('out', count);
    }
    ended(): void {
      this.socket.#onTransportEnd();
    }
    failed(error: unknown): void {
      this.socket.#onTransportError(error);
    }
    drained(): void {
      this.socket.#writer.unblock();
      this.socket.#pump();
    }
    closed(): void {
      this.socket.#onTransportClosed();
    }
  };

  /** Emits once when the stream has closed. */
  get closed$(): Observable<void> {
    return this.#outcomes.closed$;
  }

  /** @internal Calls `callback` once when the stream has closed (close-hook.ts); one per stream. */
  [WHEN_CLOSED](callback: () => void): void {
    this.#outcomes.whenClosed(callback);
  }

  constructor(
    sslobj: SSLObject<C>,
    transport: Transport,
    observer: StreamObserver,
    options: SSLSocketOptions = {},
  ) {
    const obj = sslobj as SSLObject<unknown>;
    const highWaterMark = options.highWaterMark ?? STREAM_HIGH_WATER_MARK;
    // What the reader, the write queue and the path ask of the stream (called only once it
    // exists): one object whose methods are shared, not a closure each per stream.
    const host = new SSLSocket.#Host();
    const reader = new PlaintextReader(host, transport, highWaterMark, options.borrowedReads);
    const writer = new WriteQueue(obj, host, highWaterMark);
    super(sslobj, transport, reader, writer);
    host.socket = this as SSLSocket<unknown>;
    this.#observer = observer;
    this.#reader = reader;
    this.#writer = writer;
    this.#suppressRaggedEofs = options.suppressRaggedEofs ?? true;
    this.#closeOnPeerEnd = options.closeOnPeerEnd ?? true;
    this.#timers = StreamTimers.fromOptions(options, (phase, ms) =>
      this.#fail(new TLSTimeoutError(phase, ms)),
    );
    this.#path = ciphertextPathFor(obj, transport);
    this.#shutdown = new ShutdownNegotiation(obj, this.#state, reader, this.#path);
    sslobj.onReadiness = this.#hearReadiness;
    this.#path.open(host);
    // The stream reads the transport from now on, whoever paused it before (STARTTLS).
    transport.resume();
    if (options.doHandshakeOnConnect ?? true) this.#startHandshake();
  }

  /**
   * Bytes held for the peer: plaintext queued behind the engine and ciphertext not yet handed to
   * the transport (asyncio's `get_write_buffer_size()`). A writer that stops when write() answers
   * false keeps it under the high-water mark plus its last write (docs/architecture.md, Limits
   * under attack).
   */
  getWriteBufferSize(): number {
    return this.#writer.size + this.#path.unsent;
  }

  /**
   * Bytes held for the reader: decrypted plaintext not yet delivered and ciphertext the engine
   * has not read (asyncio's `get_read_buffer_size()`). Bounded by the high-water mark plus what
   * one engine read and one transport chunk add, however slowly the application reads.
   */
  getReadBufferSize(): number {
    return this.#reader.size + this.#path.unread;
  }

  /** Where the stream is in its life. */
  get state(): SecureStreamState {
    return this.#state.stream;
  }

  /** The error that ended the stream, if one did. */
  get error(): Error | undefined {
    return this.#error;
  }

  // ------------------------------------------------------------------------------------------
  // handshake

  /** Runs the handshake (if not started) and resolves when it completes. */
  handshake(): Promise<void> {
    this.#startHandshake();
    return this.#outcomes.handshake.promise;
  }

  #startHandshake(): void {
    if (this.#handshakeStarted) return;
    this.#handshakeStarted = true;
    this.#report = StreamReport.begin(this as SSLSocket<unknown>);
    this.#timers.startHandshake();
    this.#pump();
  }

  #doHandshake(): void {
    // A server speaks only after the ClientHello: until the first bytes (or the EOF) come, there
    // is nothing to do but hear "want read". (Later, an engine working between calls may finish
    // with nothing new arrived.)
    const path = this.#path;
    if (this.sslobj.serverSide && path.received === 0 && !path.ended) return;
    try {
      this.sslobj.doHandshake();
    } catch (error) {
      if (isWouldBlock(error)) return;
      // A certificate lookup: client-hello-settled pumps again, unless the client has gone
      // (its Finished can never come); failing now frees the lookup (docs/architecture.md).
      if (error instanceof SSLWantClientHelloError && !path.ended) return;
      throw error instanceof SSLWantClientHelloError ? new SSLEOFError() : error;
    }
    this.#onHandshakeComplete();
  }

  #onHandshakeComplete(): void {
    this.#timers.handshakeDone();
    this.#state.to('stream', 'open');
    this.#observer.onHandshake(true, this.sslobj.sessionReused);
    this.#report?.handshakeDone();
    this.#outcomes.handshake.resolve();
    this.#timers.touch();
  }

  // ------------------------------------------------------------------------------------------
  // the pump: every event ends here, and it does whatever can make progress now

  /**
   * Readiness from outside a pump (the node engine finishing work on a later turn) can make
   * progress; readiness the pump's own calls cause cannot, and would only spin it.
   */
  #onReadiness(event: ReadinessEvent): void {
    if (!this.#pumping) this.#pump();
    // Plaintext the engine delivered during one of the pump's own calls: one more round reads it.
    else if (event.type === 'readable') this.#pumpAgain = true;
  }

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#step();
      } while (this.#pumpAgain && this.#state.stream !== 'closed');
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#pumping = false;
    }
  }

  #step(): void {
    const state = this.#state;
    if (state.stream === 'closed') return;
    if (state.stream === 'handshaking' && this.#handshakeStarted) this.#doHandshake();
    if (state.stream !== 'handshaking') {
      this.#writer.encryptQueued();
      this.#doReads();
      // The peer's TCP is gone and nobody reads (what arrived stays buffered for a late reader):
      // close as asyncio does on EOF, after the writes already queued.
      const unheard = state.transport === 'ended' && state.peerDone && !this.#reader.active;
      if (state.stream === 'open' && unheard) state.to('stream', 'flushing');
      if (state.stream === 'flushing' && this.#writer.empty) this.#startShutdown();
      if (state.stream === 'closing') this.#checkShutdown();
    }
    this.#flushCiphertext();
    this.#writer.checkDrain();
    // Closed (or unwrapped), the transport is no longer ours to pause.
    if (this.#state.stream !== 'closed') this.#reader.throttle(this.#path.unread);
  }

  // ------------------------------------------------------------------------------------------
  // incoming: ciphertext from the transport, plaintext to the reader

  /** Ciphertext reached the engine. */
  #onCiphertextArrived(count: number): void {
    this.#observer.onBytes('in', count);
    this.#timers.touch();
    this.#pump();
  }

  #onTransportEnd(): void {
    this.#state.to('transport', 'ended');
    // What arrived before the end still goes to the reader.
    if (this.#state.stream === 'closing' && this.#reader.active) this.#pump();
    const closing = this.#state.stream === 'closing' && this.#state.peer !== 'close-notify';
    if (closing && this.#shutdown.transportEnded() === 'done') this.#finishClose();
    else this.#pump();
  }

  /**
   * The transport is gone both ways: nothing can be sent any more, so a stream whose peer has
   * finished stops waiting for a reader to see the end (what it buffered stays readable).
   */
  #onTransportClosed(): void {
    if (this.#state.peerDone && this.#state.stream !== 'closed' && !this.#outcomes.unwrapping)
      this.#finish();
  }

  #onTransportError(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#fail(new SSLSyscallError(cause.message, { cause }));
  }

  /** Reads what the engine has, as far as the reader's backpressure allows. */
  #doReads(): void {
    const end = this.#reader.fill(this.sslobj as SSLObject<unknown>, this.#suppressRaggedEofs);
    if (end === undefined) return;
    // The peer finished sending: its close_notify, or an EOF we accept as one.
    this.#state.to('peer', end);
    this.#reader.completeIfDrained();
    this.#pumpAgain = true;
  }

  /**
   * The reader has seen everything and the end: the stream answers with its own close_notify
   * after the writes it still has (asyncio's default when eof_received() does not keep the
   * connection open).
   */
  #onEndSeen(): void {
    if (this.#state.stream === 'open' && this.#closeOnPeerEnd) {
      this.#state.to('stream', 'flushing');
      this.#pumpAgain = true;
    }
  }

  /**
   * Whether the peer's end makes the stream close our direction too (true by default). A
   * protocol that still answers after the peer's close_notify (asyncio's `eof_received()`
   * returning true, a function protocol whose output outlives its input) sets it to false before
   * the end arrives, and calls close() when it is done.
   */
  get closeOnPeerEnd(): boolean {
    return this.#closeOnPeerEnd;
  }
  set closeOnPeerEnd(value: boolean) {
    this.#closeOnPeerEnd = value;
    // Turned back on after the reader already saw the end: close now, as it would have then.
    if (value && this.#reader.endTaken && this.#state.stream === 'open') {
      this.#state.to('stream', 'flushing');
      this.#pump();
    }
  }

  // ------------------------------------------------------------------------------------------
  // outgoing

  #flushCiphertext(): void {
    if (!this.#path.flush()) this.#writer.block();
  }

  /**
   * Python's `verify_client_post_handshake()` (servers, TLS 1.3), with the CertificateRequest
   * sent at once. The client answers when it next reads; `getpeercert()` returns its certificate
   * once that answer has arrived, so at the latest with the first data the client sends after
   * it. Throws as {@link SSLObject.verifyClientPostHandshake}, and ValueError once closing.
   */
  verifyClientPostHandshake(): void {
    if (this.#writer.ended || this.state === 'closing' || this.state === 'closed') {
      throw new ValueError(`cannot request a client certificate on a ${this.state} SSLSocket`);
    }
    this.sslobj.verifyClientPostHandshake();
    // OpenSSL writes the CertificateRequest on the next handshake or write call: make one now.
    try {
      this.sslobj.doHandshake();
    } catch (error) {
      if (!isWouldBlock(error)) {
        this.#fail(error);
        throw error;
      }
    }
    this.#pump();
  }

  // ------------------------------------------------------------------------------------------
  // shutdown

  /**
   * Sends close_notify after the queued writes, waits for the peer's (up to the shutdown
   * timeout), then closes the transport.
   */
  close(): Promise<void> {
    this.#writer.end();
    const state = this.#state.stream;
    if (state === 'closed') return this.#outcomes.closed.promise;
    if (state === 'handshaking') {
      this.abort();
      return this.#outcomes.closed.promise;
    }
    if (state === 'open') this.#state.to('stream', 'flushing');
    this.#pump();
    return this.#outcomes.closed.promise;
  }

  /** Half-close as a Transport: our close_notify goes out; reading goes on until the peer's. */
  end(): void {
    void this.close();
  }

  /** Closes the transport now, without close_notify. */
  abort(): void {
    this.destroy();
  }

  /** Ends the stream now; pending reads and the handshake fail with `error` if given. */
  destroy(error?: Error): void {
    if (this.#state.stream === 'closed') return;
    if (error) {
      this.#fail(error);
      return;
    }
    this.#outcomes.handshake.rejectWith(() => new ValueError('the connection was aborted'));
    this.transport.destroy();
    this.#finish();
  }

  /**
   * Performs the TLS shutdown, then resolves to the plaintext transport underneath; bytes the
   * peer sent after its close_notify come first on its data$ (STARTTLS downgrade).
   */
  unwrap(): Promise<Transport> {
    if (this.#state.stream === 'closed' && !this.#outcomes.unwrapping) {
      // Already closed (the peer's end closed it, or an abort): no TLS layer is left to remove.
      return Promise.reject(new ValueError('cannot unwrap a closed SSLSocket'));
    }
    const unwrapped = this.#outcomes.unwrap();
    void this.close();
    return unwrapped;
  }

  #startShutdown(): void {
    this.#state.to('stream', 'closing');
    this.#timers.startShutdown();
    this.#checkShutdown();
  }

  /** Asks the negotiation (shutdown-negotiation.ts) whether the close can finish yet. */
  #checkShutdown(): void {
    if (this.#shutdown.step() === 'done') this.#finishClose();
  }

  #finishClose(): void {
    if (this.#state.stream === 'closed') return;
    this.#flushCiphertext();
    if (this.#outcomes.unwrapping) {
      const leftover = this.#path.release();
      this.#unsubscribe();
      // Our backpressure ends with us: the plaintext reader gets a flowing transport.
      this.#reader.releaseTransport();
      this.#outcomes.unwrapped(new PrefixedTransport(leftover, this.transport));
    } else {
      this.transport.end();
      this.transport.destroy();
    }
    this.#finish();
  }

  // ------------------------------------------------------------------------------------------
  // failure and the end

  #fail(error: unknown): void {
    if (this.#state.stream === 'closed') return;
    const e = error instanceof Error ? error : new SSLError(String(error));
    this.#error = e;
    if (this.#state.stream === 'handshaking') this.#observer.onHandshake(false, false);
    this.#report?.failed(e);
    this.#outcomes.failed(e);
    this.#reader.fail(e);
    // Whatever the engine queued (an alert) goes out before the transport closes; Node's own
    // TLSSocket would keep the TCP connection open, and peers wait for the close.
    try {
      this.#flushCiphertext();
    } catch {
      // The transport may already be gone.
    }
    this.transport.destroy();
    this.#finish();
  }

  #finish(): void {
    const state = this.#state;
    if (state.stream === 'closed') return;
    state.to('stream', 'closed');
    // Nothing more is read: whatever the peer still sends goes unheard.
    if (state.peer === 'sending') state.to('peer', 'abandoned');
    this.#timers.stop();
    this.#unsubscribe();
    this.#outcomes.cutShort();
    this.#reader.close(this.#error !== undefined);
    this.sslobj.destroy();
    this.#outcomes.close();
    this.#writer.close();
    this.#observer.onClosed(this as SSLSocket<unknown>);
    this.#report?.closed(this.#error, state.peer, this.#path.received, this.#bytesOut);
  }

  /** Stops hearing the SSLObject and the transport. */
  #unsubscribe(): void {
    if (this.sslobj.onReadiness === this.#hearReadiness) this.sslobj.onReadiness = undefined;
    this.#path.close();
  }
}
