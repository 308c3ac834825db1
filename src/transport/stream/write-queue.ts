/**
 * The outgoing side of a secure stream: what its application writes, encrypted at once when
 * nothing waits ahead of it, else queued (a copy) until the engine and the transport can take it,
 * with the writer's backpressure: write() answers false above the high-water mark, and writable$
 * says when to go on. Once the application has ended its writing (close(), end(), unwrap()), a
 * write is its mistake.
 */
import { type Observable, Subject } from 'rxjs';
import { isWouldBlock, typeError, ValueError } from '../../errors/errors.js';
import type { SSLObject } from '../sansio/ssl-object.js';
import type { SecureStreamState } from './stream-state.js';

/** What the write queue needs of its stream. */
export interface WriterHost {
  state(): SecureStreamState;
  /** Ciphertext the engine wrote that the ciphertext path has not handed on yet. */
  unsent(): number;
  /** Something the writer did may let the stream make progress. */
  pump(): void;
  /** Plaintext went to the engine: traffic, for the idle timer. */
  touch(): void;
  /** The engine failed on a write: the stream ends with `error`. */
  fail(error: unknown): void;
}

export class WriteQueue {
  readonly #sslobj: SSLObject<unknown>;
  readonly #host: WriterHost;
  readonly #highWaterMark: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  /** A write() answered false: writable$ owes the writer a signal. */
  #needDrain = false;
  /** The transport asked us to stop until its writable$ (or the fused socket's queue is full). */
  #blocked = false;
  /** The application called close(), end() or unwrap(). */
  #ended = false;
  readonly #writable = new Subject<void>();

  /** Emits when the queue has room again after write() answered false. */
  readonly writable$: Observable<void> = this.#writable.asObservable();

  constructor(sslobj: SSLObject<unknown>, host: WriterHost, highWaterMark: number) {
    this.#sslobj = sslobj;
    this.#host = host;
    this.#highWaterMark = highWaterMark;
  }

  /** SSLSocket.write(): see there. */
  write(data: Uint8Array | string): boolean {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!(bytes instanceof Uint8Array)) throw typeError('data', 'bytes or a string', data);
    const state = this.#host.state();
    if (this.#ended) {
      throw new ValueError(`cannot write to an SSLSocket after close() (it is ${state})`);
    }
    // The peer may end the stream between a delivery and the reader's answer: then the write
    // cannot happen, and false (with `state` 'closed' and closed$ fired) says so.
    if (state === 'closing' || state === 'closed') return false;
    if (bytes.length > 0 && !this.#encryptNow(bytes, state)) {
      // A copy: the caller may reuse its buffer as soon as write() returns.
      this.#chunks.push(Buffer.from(bytes));
      this.#bytes += bytes.length;
      this.#host.pump();
    }
    return this.#mayContinue();
  }

  /**
   * The fast path of write(): with nothing queued ahead and room downstream, the engine encrypts
   * the caller's bytes at once (no copy, no queue). False when they must wait in the queue.
   */
  #encryptNow(bytes: Uint8Array, state: SecureStreamState): boolean {
    if (state !== 'open' || this.#chunks.length > 0 || this.#blocked) return false;
    try {
      this.#sslobj.write(bytes);
    } catch (error) {
      if (isWouldBlock(error)) return false;
      this.#host.fail(error);
      return true;
    }
    this.#host.touch();
    this.#host.pump();
    return true;
  }

  /** Whether the application has ended its writing. */
  get ended(): boolean {
    return this.#ended;
  }

  end(): void {
    this.#ended = true;
  }

  /** Plaintext queued behind the engine. */
  get size(): number {
    return this.#bytes;
  }

  get empty(): boolean {
    return this.#chunks.length === 0;
  }

  block(): void {
    this.#blocked = true;
  }

  unblock(): void {
    this.#blocked = false;
  }

  /**
   * Whether a writer may go on: little enough queued here and on the ciphertext path, and the
   * transport not asking us to stop (a large write may have gone straight to it). When not,
   * writable$ will tell the writer.
   */
  #mayContinue(): boolean {
    const room = this.#hasRoom();
    if (!room) this.#needDrain = true;
    return room;
  }

  #hasRoom(): boolean {
    return !this.#blocked && this.#bytes + this.#host.unsent() < this.#highWaterMark;
  }

  /** Hands queued chunks to the engine in order until it or the transport says stop. */
  encryptQueued(): void {
    while (this.#chunks.length > 0 && !this.#blocked) {
      const chunk = this.#chunks[0] as Buffer;
      try {
        this.#sslobj.write(chunk);
      } catch (error) {
        if (isWouldBlock(error)) return;
        throw error;
      }
      this.#chunks.shift();
      this.#bytes -= chunk.length;
      this.#host.touch();
    }
  }

  /** After ciphertext moved on: tells a writer that stopped that it may write again. */
  checkDrain(): void {
    if (this.#needDrain && this.#hasRoom()) {
      this.#needDrain = false;
      this.#writable.next();
    }
  }

  /** The stream closed: what was queued is dropped, and writable$ completes. */
  close(): void {
    this.#chunks = [];
    this.#bytes = 0;
    this.#writable.complete();
  }
}
