/**
 * SSLSocket: the secure stream. It drives one SSLObject over one Transport, moving ciphertext
 * between them exactly when that can make progress (on transport data, on drain, and on the
 * engine's readiness events), and offers the decrypted stream as a Transport itself, so TLS nests.
 *
 * One state, changed only by #transition:
 *
 *   handshaking --handshake ok--> open --close()--> flushing --writes encrypted--> closing
 *        \                          \                                                 |
 *         +-- error / abort --------+-------- peer gone / error / abort ------------+--> closed
 *
 * `closing` means our close_notify is out and the peer's is awaited (up to the shutdown timeout).
 */
import { Observable, ReplaySubject, Subject, type Subscriber, type Subscription } from 'rxjs';
import type { CipherTuple } from '../sansio/engine.js';
import {
  SSLEOFError,
  isWouldBlock,
  SSLError,
  SSLSyscallError,
  SSLZeroReturnError,
  TLSTimeoutError,
  typeError,
  ValueError,
} from '../../errors/errors.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  STREAM_HIGH_WATER_MARK,
  STREAM_READ_SIZE,
} from '../limits.js';
import { PrefixedTransport } from '../prefixed-transport.js';
import type { ReadinessEvent, SSLObject, SSLSession } from '../sansio/ssl-object.js';
import type { Transport, TransportAddress } from '../transport.js';
import { type CiphertextPath, ciphertextPathFor } from './ciphertext-path.js';

/**
 * The buffers lent chunks are read into (borrowedReads), shared by every stream: one is taken for
 * a read and given back once the reader's next() has returned, so a reader that makes another
 * stream read meanwhile (a proxy writing to its other side) gets a second one, never its own.
 */
const lendingBuffers: Buffer[] = [];

/** The life of a secure stream. */
export type SecureStreamState = 'handshaking' | 'open' | 'flushing' | 'closing' | 'closed';

const TRANSITIONS: Record<SecureStreamState, readonly SecureStreamState[]> = {
  handshaking: ['open', 'flushing', 'closing', 'closed'],
  open: ['flushing', 'closing', 'closed'],
  flushing: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

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
  onHandshake(ok: boolean): void;
  onBytes(direction: 'in' | 'out', count: number): void;
  onClosed(socket: SSLSocket): void;
}

/**
 * A promise made only when someone asks for it. Most streams' handshake and close are never
 * awaited (a server's connections), and each promise, its callbacks and its rejection cost
 * allocations per connection. An error may be given as a function, made only when asked for too
 * (an Error costs a stack trace).
 */
class Outcome<T> {
  #settled = false;
  #value: T | undefined;
  #error: (() => unknown) | undefined;
  #promise: Promise<T> | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  get promise(): Promise<T> {
    if (this.#promise === undefined) {
      if (this.#settled) {
        this.#promise = this.#error
          ? Promise.reject(this.#error())
          : Promise.resolve(this.#value as T);
      } else {
        this.#promise = new Promise<T>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      }
      // Nobody may be waiting: the rejection is still reported through data$ and the promises.
      this.#promise.catch(() => undefined);
    }
    return this.#promise;
  }

  resolve(value: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#value = value;
    this.#resolve?.(value);
  }

  reject(error: unknown): void {
    this.rejectWith(() => error);
  }

  /** Rejects with what `make()` returns, made only once someone asks for the promise. */
  rejectWith(make: () => unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#error = make;
    this.#reject?.(make());
  }
}

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
export class SSLSocket<C = unknown> implements Transport {
  readonly #sslobj: SSLObject<C>;
  readonly #transport: Transport;
  readonly #observer: StreamObserver;
  readonly #suppressRaggedEofs: boolean;
  readonly #handshakeTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #highWaterMark: number;
  #closeOnPeerEnd: boolean;
  readonly #borrowedReads: boolean;

  #state: SecureStreamState = 'handshaking';
  #started = false;
  #error: Error | undefined;
  readonly #handshake = new Outcome<void>();
  readonly #closed = new Outcome<void>();
  readonly #closedSubject = new ReplaySubject<void>(1);
  readonly #writable = new Subject<void>();
  #unwrapTo: Outcome<Transport> | undefined;

  // incoming: decrypted data for the reader
  #plain: Buffer[] = [];
  #plainBytes = 0;
  #reader: Subscriber<Uint8Array> | undefined;
  #readerTaken = false;
  #paused = false;
  #peerDone = false; // close_notify or (suppressed) EOF seen: data$ completes once drained
  #transportPaused = false;
  #pullers: { n: number; resolve(b: Buffer): void; reject(e: unknown): void }[] = [];

  // outgoing: plaintext the application wrote, not yet taken by the engine
  #writes: Buffer[] = [];
  #writeBytes = 0;
  /** The application called close(), end() or unwrap(): further writes are its mistake. */
  #closeRequested = false;
  #needDrain = false;
  #closeNotifySent = false;
  /** The peer's close_notify was read (not just an EOF). */
  #closeNotifyReceived = false;
  #transportBlocked = false;

  #pumping = false;
  #pumpAgain = false;
  #transportEnded = false;
  #subscriptions: Subscription[] = [];
  /** This stream's SSLObject onReadiness (cleared at the end only if still there). */
  readonly #hearReadiness = (event: ReadinessEvent): void => this.#onReadiness(event);
  /** How ciphertext moves between the transport and the engine, chosen once (ciphertext-path.ts). */
  readonly #path: CiphertextPath;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #shutdownTimer: ReturnType<typeof setTimeout> | undefined;

  /** Decrypted bytes; completes on close_notify (or a suppressed ragged EOF), errors on failure. */
  readonly data$: Observable<Uint8Array>;
  /** Emits when buffered writes fall below the high-water mark after write() returned false. */
  readonly writable$: Observable<void> = this.#writable.asObservable();
  /** Emits once when the stream has closed. */
  readonly closed$: Observable<void> = this.#closedSubject.asObservable();

  constructor(
    sslobj: SSLObject<C>,
    transport: Transport,
    observer: StreamObserver,
    options: SSLSocketOptions = {},
  ) {
    this.#sslobj = sslobj;
    this.#transport = transport;
    this.#observer = observer;
    this.#suppressRaggedEofs = options.suppressRaggedEofs ?? true;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    this.#highWaterMark = options.highWaterMark ?? STREAM_HIGH_WATER_MARK;
    this.#closeOnPeerEnd = options.closeOnPeerEnd ?? true;
    this.#borrowedReads = options.borrowedReads ?? false;
    this.data$ = new Observable<Uint8Array>((subscriber) => this.#attachReader(subscriber));
    this.#path = ciphertextPathFor(sslobj as SSLObject<unknown>, transport);
    sslobj.onReadiness = this.#hearReadiness;
    this.#subscriptions.push(
      transport.writable$.subscribe(() => {
        this.#transportBlocked = false;
        this.#pump();
      }),
    );
    this.#path.open({
      arrived: (count) => this.#onCiphertextArrived(count),
      sent: (count) => this.#observer.onBytes('out', count),
      ended: () => this.#onTransportEnd(),
      failed: (error) => this.#onTransportError(error),
    });
    this.#subscriptions.push(transport.closed$.subscribe(() => this.#onTransportClosed()));
    // The stream reads the transport from now on, whoever paused it before (STARTTLS).
    transport.resume();
    if (options.doHandshakeOnConnect ?? true) this.#startHandshake();
  }

  // ------------------------------------------------------------------------------------------
  // state

  /** Where the stream is in its life. */
  get state(): SecureStreamState {
    return this.#state;
  }

  #transition(next: SecureStreamState): void {
    if (this.#state === next) return;
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(`SSLSocket: cannot switch state from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }

  // ------------------------------------------------------------------------------------------
  // handshake

  /** Runs the handshake (if not started) and resolves when it completes. */
  handshake(): Promise<void> {
    this.#startHandshake();
    return this.#handshake.promise;
  }

  #startHandshake(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#handshakeTimeoutMs > 0) {
      this.#handshakeTimer = setTimeout(
        () => this.#fail(new TLSTimeoutError('handshake', this.#handshakeTimeoutMs)),
        this.#handshakeTimeoutMs,
      );
    }
    this.#pump();
  }

  #doHandshake(): void {
    // A server speaks only after the ClientHello: until the first bytes (or the EOF) come, there
    // is nothing to do but hear "want read". (Later, an engine working between calls may finish
    // with nothing new in `incoming`.)
    const path = this.#path;
    if (this.#sslobj.serverSide && path.received === 0 && !path.ended) return;
    try {
      this.#sslobj.doHandshake();
    } catch (error) {
      if (isWouldBlock(error)) return;
      throw error;
    }
    this.#onHandshakeComplete();
  }

  #onHandshakeComplete(): void {
    clearTimeout(this.#handshakeTimer);
    this.#transition('open');
    this.#observer.onHandshake(true);
    this.#handshake.resolve();
    this.#touch();
  }

  // ------------------------------------------------------------------------------------------
  // the pump: every event ends here, and it does whatever can make progress now

  /**
   * Readiness from outside a pump (the node engine finishing work on a later turn) can make
   * progress; readiness the pump's own calls cause cannot, and would only spin it.
   */
  #onReadiness(event: ReadinessEvent): void {
    if (event.type === 'want-read' || event.type === 'want-write') {
      // The pump's own calls announce these; only an engine working between calls (node)
      // announces them from outside, and that is progress.
      if (!this.#pumping) this.#pump();
      return;
    }
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
      } while (this.#pumpAgain && this.#state !== 'closed');
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#pumping = false;
    }
  }

  #step(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'handshaking' && this.#started) this.#doHandshake();
    if (this.#state !== 'handshaking') {
      this.#doWrites();
      this.#doReads();
      // The peer's TCP is gone and nobody reads (what arrived stays buffered for a late reader):
      // close as asyncio does on EOF, after the writes already queued.
      if (this.#state === 'open' && this.#transportEnded && this.#peerDone && !this.#hasReader()) {
        this.#transition('flushing');
      }
      if (this.#state === 'flushing' && this.#writes.length === 0) this.#startShutdown();
      if (this.#state === 'closing') this.#checkShutdown();
    }
    this.#flushCiphertext();
    this.#checkDrain();
    this.#applyReadBackpressure();
  }

  // ------------------------------------------------------------------------------------------
  // incoming

  /** Ciphertext reached the engine. */
  #onCiphertextArrived(count: number): void {
    this.#observer.onBytes('in', count);
    this.#touch();
    this.#pump();
  }

  #onTransportEnd(): void {
    this.#transportEnded = true;
    // What arrived before the end still goes to the reader.
    if (this.#state === 'closing' && this.#hasReader()) this.#pump();
    if (this.#state === 'closing' && !this.#closeNotifyReceived) {
      // A reader is still owed what arrived before the end (and may be the peer's close_notify),
      // whether it waits here, in `incoming`, or in the engine (node decrypts on later turns):
      // the close finishes once it has read on to the engine's end (#checkShutdown), or times
      // out if it never reads.
      const owed = this.#path.unread > 0 || this.#plain.length > 0;
      if (owed || (this.#hasReader() && !this.#peerDone)) {
        this.#pump();
        return;
      }
      // The peer hung up instead of answering our close_notify: we are done either way.
      this.#finishClose();
      return;
    }
    this.#pump();
  }

  /**
   * The transport is gone both ways: nothing can be sent any more, so a stream whose peer has
   * finished stops waiting for a reader to see the end (what it buffered stays readable).
   */
  #onTransportClosed(): void {
    if (this.#peerDone && this.#state !== 'closed' && !this.#unwrapTo) this.#finish();
  }

  #onTransportError(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#fail(new SSLSyscallError(cause.message, { cause }));
  }

  /** Reads what the engine has, as far as the reader's backpressure allows. */
  #doReads(): void {
    while (!this.#peerDone && !this.#paused && this.#plainBytes < this.#highWaterMark) {
      // The engine knows a read would only ask for more ciphertext (native): skip the call.
      if (this.#sslobj.wantsRead) return;
      if (!this.#canLend()) {
        if (!this.#readOnce(undefined)) return;
        continue;
      }
      const lending = lendingBuffers.pop() ?? Buffer.allocUnsafe(STREAM_READ_SIZE);
      try {
        if (!this.#readOnce(lending)) return;
      } finally {
        // The reader is done with a lent chunk once next() has returned.
        lendingBuffers.push(lending);
      }
    }
  }

  /**
   * One read from the engine (into `lending`, or into bytes of its own) and its delivery; false
   * when reading must stop: the engine wants ciphertext, or the peer has finished.
   */
  #readOnce(lending: Buffer | undefined): boolean {
    let chunk: Buffer;
    try {
      chunk = lending
        ? lending.subarray(0, this.#sslobj.readAvailableInto(lending))
        : this.#sslobj.readAvailable(STREAM_READ_SIZE);
    } catch (error) {
      if (isWouldBlock(error)) return false;
      // An EOF without close_notify is an end only when ragged EOFs are suppressed: after our
      // own close_notify too (asyncio's default), otherwise it is SSLEOFError, as Python's
      // unwrap() raises it to a peer that hangs up instead of answering.
      const cleanEnd =
        error instanceof SSLZeroReturnError ||
        (error instanceof SSLEOFError && this.#suppressRaggedEofs);
      if (!cleanEnd) throw error;
      this.#closeNotifyReceived = error instanceof SSLZeroReturnError;
      this.#onPeerClosed();
      return false;
    }
    if (chunk.length === 0) {
      this.#closeNotifyReceived = true;
      this.#onPeerClosed();
      return false;
    }
    this.#deliver(chunk);
    return true;
  }

  /**
   * With borrowedReads, whether the next chunk may be lent: only when it goes straight to the
   * reader (#deliver's direct case); a chunk that is kept needs bytes of its own.
   */
  #canLend(): boolean {
    return (
      this.#borrowedReads && this.#reader !== undefined && this.#plain.length === 0 && !this.#paused
    );
  }

  #deliver(chunk: Buffer): void {
    this.#touch();
    if (this.#reader && this.#plain.length === 0 && !this.#paused) {
      this.#reader.next(chunk);
      return;
    }
    this.#plain.push(chunk);
    this.#plainBytes += chunk.length;
    this.#servePullers();
  }

  /** The peer finished sending (close_notify, or an EOF we accept as one). */
  #onPeerClosed(): void {
    this.#peerDone = true;
    this.#completeReaderIfDrained();
    this.#pumpAgain = true;
  }

  /**
   * Once the reader has seen everything and the end: the stream answers with its own
   * close_notify after the writes it still has (asyncio's default when eof_received() does not
   * keep the connection open). Until the reader has seen the end, it may still answer.
   */
  #completeReaderIfDrained(): void {
    if (!this.#peerDone || this.#plain.length > 0) return;
    const reader = this.#reader;
    const pullers = this.#pullers.splice(0);
    if (!reader && pullers.length === 0) return;
    reader?.complete();
    for (const puller of pullers) puller.resolve(Buffer.alloc(0));
    if (this.#state === 'open' && this.#closeOnPeerEnd) {
      this.#transition('flushing');
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
    const endSeen = this.#peerDone && this.#readerTaken && this.#plain.length === 0;
    if (value && endSeen && this.#state === 'open') {
      this.#transition('flushing');
      this.#pump();
    }
  }

  #hasReader(): boolean {
    return this.#reader !== undefined || this.#pullers.length > 0;
  }

  #attachReader(subscriber: Subscriber<Uint8Array>): () => void {
    if (this.#reader) {
      // One consumer at a time; after it leaves (a plaintext exchange before TLS-in-TLS, a
      // handover), another may read on from where it stopped.
      subscriber.error(
        new ValueError('SSLSocket.data$ has one consumer at a time and already has it'),
      );
      return () => undefined;
    }
    this.#readerTaken = true;
    this.#reader = subscriber;
    this.#drainToReader(subscriber);
    if (this.#plain.length > 0 || subscriber.closed) this.#pump();
    else if (this.#error) subscriber.error(this.#error);
    else if (this.#peerDone || this.#state === 'closed') subscriber.complete();
    else this.#pump();
    return () => {
      if (this.#reader === subscriber) this.#reader = undefined;
    };
  }

  /** Buffered data to the reader, one chunk at a time: it may pause or leave after any. */
  #drainToReader(reader: Subscriber<Uint8Array>): void {
    while (this.#plain.length > 0 && !this.#paused && !reader.closed && this.#reader === reader) {
      const chunk = this.#plain.shift() as Buffer;
      this.#plainBytes -= chunk.length;
      reader.next(chunk);
    }
  }

  /**
   * Pull-style reading: resolves with up to `n` bytes (default: whatever is buffered), or empty
   * bytes at the end of the stream. Not for use together with data$.
   */
  read(n = STREAM_READ_SIZE): Promise<Buffer> {
    if (this.#reader)
      return Promise.reject(new ValueError('read() cannot be used while data$ is subscribed'));
    return new Promise<Buffer>((resolve, reject) => {
      this.#pullers.push({ n, resolve, reject });
      this.#servePullers();
      this.#pump();
    });
  }

  #servePullers(): void {
    while (this.#pullers.length > 0 && this.#plain.length > 0) {
      const puller = this.#pullers.shift()!;
      const chunk = this.#plain[0] as Buffer;
      if (chunk.length <= puller.n) {
        this.#plain.shift();
        this.#plainBytes -= chunk.length;
        puller.resolve(chunk);
      } else {
        this.#plain[0] = chunk.subarray(puller.n);
        this.#plainBytes -= puller.n;
        puller.resolve(chunk.subarray(0, puller.n));
      }
    }
    if (this.#error) for (const puller of this.#pullers.splice(0)) puller.reject(this.#error);
    this.#completeReaderIfDrained();
  }

  /** Stops delivering data$ (the reader is slow); the transport is paused once buffers fill. */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes data$ after pause(). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#reader) {
      this.#drainToReader(this.#reader);
      this.#completeReaderIfDrained();
    }
    this.#pump();
  }

  #applyReadBackpressure(): void {
    // Closed (or unwrapped), the transport is no longer ours to pause.
    if (this.#state === 'closed') return;
    const full =
      this.#paused ||
      this.#plainBytes >= this.#highWaterMark ||
      this.#path.unread >= this.#highWaterMark;
    if (full && !this.#transportPaused) {
      this.#transportPaused = true;
      this.#transport.pause();
    } else if (!full && this.#transportPaused) {
      this.#transportPaused = false;
      this.#transport.resume();
    }
  }

  // ------------------------------------------------------------------------------------------
  // outgoing

  /**
   * Queues `data` for encryption. Returns false when the stream buffers more than its high-water
   * mark: keep the data (nothing is dropped) and wait for writable$ before writing more.
   */
  write(data: Uint8Array | string): boolean {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!(bytes instanceof Uint8Array)) throw typeError('data', 'bytes or a string', data);
    if (this.#closeRequested) {
      throw new ValueError(`cannot write to an SSLSocket after close() (it is ${this.#state})`);
    }
    // The peer may end the stream between a delivery and the reader's answer: then the write
    // cannot happen, and false (with `state` 'closed' and closed$ fired) says so.
    if (this.#state === 'closing' || this.#state === 'closed') return false;
    if (bytes.length > 0 && !this.#encryptNow(bytes)) {
      // A copy: the caller may reuse its buffer as soon as write() returns.
      this.#writes.push(Buffer.from(bytes));
      this.#writeBytes += bytes.length;
      this.#pump();
    }
    const ok = this.#hasRoom();
    if (!ok) this.#needDrain = true;
    return ok;
  }

  /**
   * Whether a writer may go on: little enough queued here and on the ciphertext path, and the
   * transport not asking us to stop (a large write may have gone straight to it).
   */
  #hasRoom(): boolean {
    return !this.#transportBlocked && this.#writeBytes + this.#path.unsent < this.#highWaterMark;
  }

  /**
   * The fast path of write(): with nothing queued ahead and room downstream, the engine encrypts
   * the caller's bytes at once (no copy, no queue). False when they must wait in the queue.
   */
  #encryptNow(bytes: Uint8Array): boolean {
    if (this.#state !== 'open' || this.#writes.length > 0 || this.#transportBlocked) return false;
    try {
      this.#sslobj.write(bytes);
    } catch (error) {
      if (isWouldBlock(error)) return false;
      this.#fail(error);
      return true;
    }
    this.#touch();
    this.#pump();
    return true;
  }

  #doWrites(): void {
    while (this.#writes.length > 0 && !this.#transportBlocked) {
      const chunk = this.#writes[0] as Buffer;
      try {
        this.#sslobj.write(chunk);
      } catch (error) {
        if (isWouldBlock(error)) return;
        throw error;
      }
      this.#writes.shift();
      this.#writeBytes -= chunk.length;
      this.#touch();
    }
  }

  /** After ciphertext has moved on: tell a writer that stopped that it may write again. */
  #checkDrain(): void {
    if (this.#needDrain && this.#hasRoom()) {
      this.#needDrain = false;
      this.#writable.next();
    }
  }

  #flushCiphertext(): void {
    if (!this.#path.flush()) this.#transportBlocked = true;
  }

  // ------------------------------------------------------------------------------------------
  // shutdown

  /**
   * Sends close_notify after the queued writes, waits for the peer's (up to the shutdown
   * timeout), then closes the transport.
   */
  close(): Promise<void> {
    this.#closeRequested = true;
    if (this.#state === 'closed') return this.#closed.promise;
    if (this.#state === 'handshaking') {
      this.abort();
      return this.#closed.promise;
    }
    if (this.#state === 'open') this.#transition('flushing');
    this.#pump();
    return this.#closed.promise;
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
    if (this.#state === 'closed') return;
    if (error) {
      this.#fail(error);
      return;
    }
    this.#handshake.rejectWith(() => new ValueError('the connection was aborted'));
    this.#transport.destroy();
    this.#finish();
  }

  /**
   * Performs the TLS shutdown, then resolves to the plaintext transport underneath; bytes the
   * peer sent after its close_notify come first on its data$ (STARTTLS downgrade).
   */
  unwrap(): Promise<Transport> {
    if (this.#state === 'closed' && !this.#unwrapTo) {
      // Already closed (the peer's end closed it, or an abort): no TLS layer is left to remove.
      return Promise.reject(new ValueError('cannot unwrap a closed SSLSocket'));
    }
    this.#unwrapTo ??= new Outcome<Transport>();
    void this.close();
    return this.#unwrapTo.promise;
  }

  #startShutdown(): void {
    this.#transition('closing');
    if (this.#shutdownTimeoutMs > 0) {
      this.#shutdownTimer = setTimeout(() => {
        this.#fail(new TLSTimeoutError('shutdown', this.#shutdownTimeoutMs));
      }, this.#shutdownTimeoutMs);
    }
    this.#checkShutdown();
  }

  #checkShutdown(): void {
    if (!this.#claimUnwrap()) return;
    try {
      this.#sslobj.unwrap();
    } catch (error) {
      if (isWouldBlock(error)) {
        // After the peer's close_notify only our own is missing: an asynchronous engine (node)
        // is still encrypting what was written before it, and says so when done.
        if (this.#transportEnded && !this.#closeNotifyReceived) this.#finishClose();
        return;
      }
      if (error instanceof SSLZeroReturnError || error instanceof SSLEOFError) {
        this.#finishCloseForReader();
        return;
      }
      throw error;
    }
    this.#finishCloseForReader();
  }

  /**
   * Both close_notifys are exchanged; a reader that has not reached the end yet is still owed
   * what the engine decrypted before the peer's (an asynchronous engine, node, may hold it or
   * still be delivering it): it reads on, and the close finishes when it reaches the end.
   */
  #finishCloseForReader(): void {
    if (this.#hasReader() && !this.#peerDone) return;
    this.#finishClose();
  }

  /**
   * Whether unwrap() may run now. It sends our close_notify and then, as Python's, reads on for
   * the peer's and discards (or fails on: APPLICATION_DATA_AFTER_CLOSE_NOTIFY) application data on
   * the way, so it never runs while data is owed to the reader:
   * - while the reader is behind (paused, or its buffer full) the shutdown waits for it, bounded
   *   by the shutdown timeout;
   * - while someone reads, it runs once, to send ours, when nothing waits for the reader; after
   *   that #doReads reaches the peer's end (close_notify or EOF), even after the transport ended.
   * Without a reader nobody is owed anything, and unwrap() may read on.
   */
  #claimUnwrap(): boolean {
    if (this.#peerDone) return true;
    if (this.#paused || this.#plainBytes >= this.#highWaterMark) return false;
    if (!this.#hasReader()) return true;
    if (this.#closeNotifySent || this.#path.unread > 0 || this.#plain.length > 0) {
      return false;
    }
    this.#closeNotifySent = true;
    return true;
  }

  #finishClose(): void {
    if (this.#state === 'closed') return;
    this.#flushCiphertext();
    if (this.#unwrapTo) {
      const leftover = this.#path.release();
      this.#unsubscribe();
      // Our backpressure ends with us: the plaintext reader gets a flowing transport.
      if (this.#transportPaused) {
        this.#transportPaused = false;
        this.#transport.resume();
      }
      this.#unwrapTo.resolve(new PrefixedTransport(leftover, this.#transport));
    } else {
      this.#transport.end();
      this.#transport.destroy();
    }
    this.#peerDone = true;
    this.#finish();
  }

  // ------------------------------------------------------------------------------------------
  // failure and the end

  #fail(error: unknown): void {
    if (this.#state === 'closed') return;
    const e = error instanceof Error ? error : new SSLError(String(error));
    this.#error = e;
    if (this.#state === 'handshaking') this.#observer.onHandshake(false);
    this.#handshake.reject(e);
    this.#unwrapTo?.reject(e);
    this.#reader?.error(e);
    for (const puller of this.#pullers.splice(0)) puller.reject(e);
    // Whatever the engine queued (an alert) goes out before the transport closes; Node's own
    // TLSSocket would keep the TCP connection open, and peers wait for the close.
    try {
      this.#flushCiphertext();
    } catch {
      // The transport may already be gone.
    }
    this.#transport.destroy();
    this.#finish();
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#shutdownTimer);
    this.#unsubscribe();
    if (!this.#error) {
      this.#handshake.rejectWith(
        () => new ValueError('the connection closed before the handshake completed'),
      );
      this.#completeReaderIfDrained();
      if (this.#plain.length === 0) this.#reader?.complete();
    }
    for (const puller of this.#pullers.splice(0)) puller.resolve(Buffer.alloc(0));
    // An unwrap() the close cut short (a handshake aborted, a transport gone) has nothing to give.
    this.#unwrapTo?.rejectWith(
      () => new ValueError('the connection closed before unwrap completed'),
    );
    this.#writes = [];
    this.#sslobj.destroy();
    this.#closed.resolve();
    this.#closedSubject.next();
    this.#closedSubject.complete();
    this.#writable.complete();
    this.#observer.onClosed(this as SSLSocket<unknown>);
  }

  /** Stops hearing the SSLObject and the transport. */
  #unsubscribe(): void {
    if (this.#sslobj.onReadiness === this.#hearReadiness) this.#sslobj.onReadiness = undefined;
    this.#path.close();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
  }

  /** The error that ended the stream, if one did. */
  get error(): Error | undefined {
    return this.#error;
  }

  #touch(): void {
    if (this.#idleTimeoutMs <= 0 || this.#state === 'closed') return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () => this.#fail(new TLSTimeoutError('idle', this.#idleTimeoutMs)),
      this.#idleTimeoutMs,
    );
  }

  // ------------------------------------------------------------------------------------------
  // information (the SSLObject's)

  /** The SSLObject this stream drives. */
  get sslobj(): SSLObject<C> {
    return this.#sslobj;
  }
  get readiness$(): Observable<ReadinessEvent> {
    return this.#sslobj.readiness$;
  }
  get context(): C {
    return this.#sslobj.context;
  }
  get serverSide(): boolean {
    return this.#sslobj.serverSide;
  }
  get serverHostname(): string | null {
    return this.#sslobj.serverHostname;
  }
  getpeercert(binaryForm?: false): object | null;
  getpeercert(binaryForm: true): Buffer | null;
  getpeercert(binaryForm = false): object | Buffer | null {
    return binaryForm ? this.#sslobj.getpeercert(true) : this.#sslobj.getpeercert();
  }
  getVerifiedChain(): Buffer[] {
    return this.#sslobj.getVerifiedChain();
  }
  getUnverifiedChain(): Buffer[] {
    return this.#sslobj.getUnverifiedChain();
  }
  cipher(): CipherTuple | null {
    return this.#sslobj.cipher();
  }
  sharedCiphers(): CipherTuple[] | null {
    return this.#sslobj.sharedCiphers();
  }
  compression(): string | null {
    return this.#sslobj.compression();
  }
  version(): string | null {
    return this.#sslobj.version();
  }
  selectedAlpnProtocol(): string | null {
    return this.#sslobj.selectedAlpnProtocol();
  }
  getChannelBinding(type = 'tls-unique'): Buffer | null {
    return this.#sslobj.getChannelBinding(type);
  }
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    return this.#sslobj.exportKeyingMaterial(length, label, context);
  }
  /**
   * Python's `verify_client_post_handshake()` (servers, TLS 1.3), with the CertificateRequest
   * sent at once. The client answers when it next reads; `getpeercert()` returns its certificate
   * once that answer has arrived, so at the latest with the first data the client sends after
   * it. Throws as {@link SSLObject.verifyClientPostHandshake}, and ValueError once closing.
   */
  verifyClientPostHandshake(): void {
    if (this.#closeRequested || this.#state === 'closing' || this.#state === 'closed') {
      throw new ValueError(`cannot request a client certificate on a ${this.#state} SSLSocket`);
    }
    this.#sslobj.verifyClientPostHandshake();
    // OpenSSL writes the CertificateRequest on the next handshake or write call: make one now.
    try {
      this.#sslobj.doHandshake();
    } catch (error) {
      if (!isWouldBlock(error)) {
        this.#fail(error);
        throw error;
      }
    }
    this.#pump();
  }
  get session(): SSLSession | null {
    return this.#sslobj.session;
  }
  get sessionReused(): boolean {
    return this.#sslobj.sessionReused;
  }
  get localAddress(): TransportAddress | null {
    return this.#transport.localAddress;
  }
  get remoteAddress(): TransportAddress | null {
    return this.#transport.remoteAddress;
  }
  /** The transport the ciphertext travels on. */
  get transport(): Transport {
    return this.#transport;
  }
}
