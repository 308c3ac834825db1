/**
 * The decrypted side of a secure stream, as its application reads it: `data$` (one subscriber at
 * a time) or pull-style `read()`, with pause/resume, a buffer bounded by the high-water mark, and
 * the end of the stream delivered only after every byte before it. While the reader is behind,
 * the transport is paused, so memory per connection stays bounded. With borrowedReads, chunks
 * that go straight to the subscriber may be lent: views into buffers reused once next() has
 * returned.
 */
import type { Subscriber } from 'rxjs';
import { isWouldBlock, SSLEOFError, SSLZeroReturnError, ValueError } from '../../errors/errors.js';
import { STREAM_READ_SIZE } from '../limits.js';
import { WOULD_BLOCK } from '../sansio/engine.js';
import type { SSLObject } from '../sansio/ssl-object.js';
import type { Transport } from '../transport.js';

/**
 * The buffers reads go into, shared by every stream: one is taken for a read and given back once
 * the reader's next() has returned (a lent chunk) or its bytes were copied out, so a reader that
 * makes another stream read meanwhile (a proxy writing to its other side) gets a second one,
 * never its own.
 */
const lendingBuffers: Buffer[] = [];

/** How the peer ended its sending, as a read finds it. */
export type PeerEnd = 'close-notify' | 'eof';

/** What the reader needs of its stream. */
export interface ReaderHost {
  /** The error that ended the stream, if one did. */
  failure(): Error | undefined;
  /** No more plaintext will come (the peer's end, or the stream's). */
  peerDone(): boolean;
  /** Something the reader did may let the stream make progress. */
  pump(): void;
  /** Plaintext went to the application: traffic, for the idle timer. */
  touch(): void;
  /** The application has seen the end of the stream. */
  endSeen(): void;
}

interface Puller {
  readonly n: number;
  resolve(bytes: Buffer): void;
  reject(error: unknown): void;
}

export class PlaintextReader {
  readonly #host: ReaderHost;
  readonly #transport: Transport;
  readonly #highWaterMark: number;
  readonly #borrowedReads: boolean;
  /** Decrypted chunks the application has not taken yet. */
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #subscriber: Subscriber<Uint8Array> | undefined;
  /** The subscriber came through lentData$: it is done with each chunk when next() returns. */
  #subscriberBorrows = false;
  /** data$ was subscribed at least once. */
  #taken = false;
  #paused = false;
  #pullers: Puller[] = [];
  /** This reader paused the transport (read backpressure). */
  #transportPaused = false;

  constructor(
    host: ReaderHost,
    transport: Transport,
    highWaterMark: number,
    borrowedReads = false,
  ) {
    this.#host = host;
    this.#transport = transport;
    this.#highWaterMark = highWaterMark;
    this.#borrowedReads = borrowedReads;
  }

  // --- what the stream asks -------------------------------------------------------------------

  /** Someone reads: a data$ subscriber or a pending read(). */
  get active(): boolean {
    return this.#subscriber !== undefined || this.#pullers.length > 0;
  }

  /** The reader is behind: paused, or its buffer full. */
  get behind(): boolean {
    return this.#paused || this.#bufferedBytes >= this.#highWaterMark;
  }

  /** Decrypted bytes waiting for the application. */
  get size(): number {
    return this.#bufferedBytes;
  }

  /** Decrypted bytes wait for the application. */
  get holding(): boolean {
    return this.#buffered.length > 0;
  }

  /** The application has subscribed to data$ and taken everything up to the end. */
  get endTaken(): boolean {
    return this.#host.peerDone() && this.#taken && this.#buffered.length === 0;
  }

  /**
   * Reads what `sslobj` has decrypted, as far as this reader's backpressure allows, and delivers
   * it; answers how the peer ended if a read found its end. An EOF without close_notify is an end
   * only when ragged EOFs are suppressed (asyncio's default, after our own close_notify too);
   * otherwise it is SSLEOFError, thrown as Python's unwrap() raises it to a peer that hangs up
   * instead of answering. Throws the engine's other failures.
   */
  fill(sslobj: SSLObject<unknown>, suppressRaggedEofs: boolean): PeerEnd | undefined {
    while (!this.#host.peerDone() && !this.behind) {
      // The engine knows a read would only ask for more ciphertext (native): skip the call.
      if (sslobj.wantsRead) return undefined;
      // Every read goes into a reused buffer, without the exception a plain want-read would
      // throw (docs/architecture.md, "Lent reads"); a chunk that is not lent is copied out, to
      // exactly the bytes read.
      const lend = this.#canLend();
      const buffer = lendingBuffers.pop() ?? Buffer.allocUnsafe(STREAM_READ_SIZE);
      try {
        const count = sslobj.tryReadInto(buffer);
        if (count === WOULD_BLOCK) return undefined;
        if (count === 0) return 'close-notify';
        const view = buffer.subarray(0, count);
        this.deliver(lend ? view : Buffer.from(view));
      } catch (error) {
        if (isWouldBlock(error)) return undefined;
        if (error instanceof SSLZeroReturnError) return 'close-notify';
        if (error instanceof SSLEOFError && suppressRaggedEofs) return 'eof';
        throw error;
      } finally {
        // The reader is done with a lent chunk once next() has returned.
        lendingBuffers.push(buffer);
      }
    }
    return undefined;
  }

  /**
   * With borrowedReads or a subscriber from lentData$, whether the next chunk may be lent: only
   * when it goes straight to the subscriber (deliver's direct case); a chunk that is kept needs
   * bytes of its own.
   */
  #canLend(): boolean {
    return (
      (this.#borrowedReads || this.#subscriberBorrows) &&
      this.#subscriber !== undefined &&
      this.#buffered.length === 0 &&
      !this.#paused
    );
  }

  /** A chunk the engine decrypted: straight to the subscriber, or into the buffer. */
  deliver(chunk: Buffer): void {
    this.#host.touch();
    if (this.#subscriber && this.#buffered.length === 0 && !this.#paused) {
      this.#subscriber.next(chunk);
      return;
    }
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    this.#servePullers();
  }

  /**
   * Once the application has every byte and the peer is done: the end goes to whoever reads, and
   * the stream hears that it was seen. Until then it may still answer.
   */
  completeIfDrained(): void {
    if (!this.#host.peerDone() || this.#buffered.length > 0) return;
    const subscriber = this.#subscriber;
    const pullers = this.#pullers.splice(0);
    if (!subscriber && pullers.length === 0) return;
    subscriber?.complete();
    for (const puller of pullers) puller.resolve(Buffer.alloc(0));
    this.#host.endSeen();
  }

  /**
   * Read backpressure: pauses the transport while this reader is behind, or while `unread`
   * ciphertext (received, not yet decrypted) reaches the high-water mark; resumes it after.
   */
  throttle(unread: number): void {
    const full = this.behind || unread >= this.#highWaterMark;
    if (full && !this.#transportPaused) {
      this.#transportPaused = true;
      this.#transport.pause();
    } else if (!full && this.#transportPaused) {
      this.#transportPaused = false;
      this.#transport.resume();
    }
  }

  /** The transport is handed on (unwrap): whoever reads it next gets it flowing. */
  releaseTransport(): void {
    if (!this.#transportPaused) return;
    this.#transportPaused = false;
    this.#transport.resume();
  }

  /** The stream failed: whoever reads hears `error`. */
  fail(error: Error): void {
    this.#subscriber?.error(error);
    for (const puller of this.#pullers.splice(0)) puller.reject(error);
  }

  /** The stream closed: a reader with nothing left to take sees the end; read() gets empty bytes. */
  close(failed: boolean): void {
    if (!failed) {
      this.completeIfDrained();
      if (this.#buffered.length === 0) this.#subscriber?.complete();
    }
    for (const puller of this.#pullers.splice(0)) puller.resolve(Buffer.alloc(0));
  }

  // --- the application's side -----------------------------------------------------------------

  /**
   * A new data$ subscriber: one at a time; it first gets what is buffered. `borrows`: it came
   * through lentData$ and may be lent chunks.
   */
  attach(subscriber: Subscriber<Uint8Array>, borrows = false): () => void {
    if (this.#subscriber) {
      // One consumer at a time; after it leaves (a plaintext exchange before TLS-in-TLS, a
      // handover), another may read on from where it stopped.
      subscriber.error(
        new ValueError('SSLSocket.data$ has one consumer at a time and already has it'),
      );
      return () => undefined;
    }
    this.#taken = true;
    this.#subscriber = subscriber;
    this.#subscriberBorrows = borrows;
    this.#drainTo(subscriber);
    const host = this.#host;
    const failure = host.failure();
    if (this.#buffered.length > 0 || subscriber.closed) host.pump();
    else if (failure) subscriber.error(failure);
    else if (host.peerDone()) subscriber.complete();
    else host.pump();
    return () => {
      if (this.#subscriber !== subscriber) return;
      this.#subscriber = undefined;
      this.#subscriberBorrows = false;
    };
  }

  /**
   * Pull-style reading: resolves with up to `n` bytes (default: whatever is buffered), or empty
   * bytes at the end of the stream. Not for use together with data$.
   */
  read(n: number): Promise<Buffer> {
    if (this.#subscriber)
      return Promise.reject(new ValueError('read() cannot be used while data$ is subscribed'));
    return new Promise<Buffer>((resolve, reject) => {
      this.#pullers.push({ n, resolve, reject });
      this.#servePullers();
      this.#host.pump();
    });
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#subscriber) {
      this.#drainTo(this.#subscriber);
      this.completeIfDrained();
    }
    this.#host.pump();
  }

  /** Buffered data to the subscriber, one chunk at a time: it may pause or leave after any. */
  #drainTo(subscriber: Subscriber<Uint8Array>): void {
    while (
      this.#buffered.length > 0 &&
      !this.#paused &&
      !subscriber.closed &&
      this.#subscriber === subscriber
    ) {
      const chunk = this.#buffered.shift() as Buffer;
      this.#bufferedBytes -= chunk.length;
      subscriber.next(chunk);
    }
  }

  #servePullers(): void {
    while (this.#pullers.length > 0 && this.#buffered.length > 0) {
      const puller = this.#pullers.shift()!;
      const chunk = this.#buffered[0] as Buffer;
      if (chunk.length <= puller.n) {
        this.#buffered.shift();
        this.#bufferedBytes -= chunk.length;
        puller.resolve(chunk);
      } else {
        this.#buffered[0] = chunk.subarray(puller.n);
        this.#bufferedBytes -= puller.n;
        puller.resolve(chunk.subarray(0, puller.n));
      }
    }
    const error = this.#host.failure();
    if (error) for (const puller of this.#pullers.splice(0)) puller.reject(error);
    this.completeIfDrained();
  }
}
