/**
 * Python's `ssl.MemoryBIO`: a byte queue that stands between the TLS engine and whatever carries
 * its ciphertext. The engine reads from the "incoming" BIO and writes to the "outgoing" one; the
 * transport does the opposite.
 */
import { type Observable, Subject } from 'rxjs';
import { SSLError, typeError } from '../../errors/errors.js';

/** Options of a {@link MemoryBIO}. */
export interface MemoryBIOOptions {
  /**
   * Bytes above which the BIO counts as full (`isFull`). Writes still succeed, as in Python: the
   * mark is advice for whoever fills it (an SSLObject throws SSLWantWriteError). Default: none.
   */
  highWaterMark?: number;
}

/**
 * An in-memory BIO, as Python's `ssl.MemoryBIO`.
 *
 * @example
 * ```ts
 * const incoming = new MemoryBIO();
 * incoming.write(bytesFromTheNetwork);
 * ```
 */
export class MemoryBIO {
  /** Chunks not yet read; the first one is consumed from `#offset`. */
  #chunks: Buffer[] = [];
  #offset = 0;
  #pending = 0;
  #written = 0;
  #eofWritten = false;
  readonly #highWaterMark: number;
  /** Made when written$ is first asked for: most BIOs (the native engine's) never are. */
  #changes: Subject<void> | undefined;
  #written$: Observable<void> | undefined;

  /**
   * Emits after every `write()` and `writeEof()`, so an engine or reactor that owns the other
   * side can react instead of polling.
   */
  get written$(): Observable<void> {
    this.#changes ??= new Subject<void>();
    this.#written$ ??= this.#changes.asObservable();
    return this.#written$;
  }

  constructor(options: MemoryBIOOptions = {}) {
    this.#highWaterMark = options.highWaterMark ?? Number.POSITIVE_INFINITY;
  }

  /** Bytes buffered and not yet read. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Every byte ever written (or put back): it only grows, so an unchanged count means nothing
   * arrived in between, whatever was read meanwhile.
   * @internal
   */
  get written(): number {
    return this.#written;
  }

  /** True once `writeEof()` was called and every byte has been read. */
  get eof(): boolean {
    return this.#eofWritten && this.#pending === 0;
  }

  /** True once `writeEof()` was called (bytes may still be buffered). */
  get eofWritten(): boolean {
    return this.#eofWritten;
  }

  /** The high-water mark given at construction (Infinity when none). */
  get highWaterMark(): number {
    return this.#highWaterMark;
  }

  /** True when the buffered bytes reach the high-water mark. */
  get isFull(): boolean {
    return this.#pending >= this.#highWaterMark;
  }

  /**
   * Appends a copy of `data` and returns its length. The copy is what lets a caller reuse its
   * buffer at once, as with Python's BIO. Throws SSLError after `writeEof()`.
   */
  write(data: Uint8Array): number {
    if (!(data instanceof Uint8Array)) {
      throw typeError('data', 'a bytes-like object (Buffer or Uint8Array)', data);
    }
    if (this.#eofWritten) throw new SSLError('cannot write() after write_eof()');
    if (data.length > 0) {
      this.#chunks.push(Buffer.from(data));
      this.#pending += data.length;
      this.#written += data.length;
    }
    this.#changes?.next();
    return data.length;
  }

  /**
   * Takes ownership of `data` without copying: for engines that hand over buffers they never touch
   * again. Not part of Python's API.
   * @internal
   */
  writeOwned(data: Buffer): void {
    if (this.#eofWritten) throw new SSLError('cannot write() after write_eof()');
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#pending += data.length;
    this.#written += data.length;
    this.#changes?.next();
  }

  /** Removes and returns up to `n` bytes (all of them when `n` is negative or omitted). */
  read(n = -1): Buffer {
    const wanted = n < 0 ? this.#pending : Math.min(n, this.#pending);
    const out = this.#take(wanted, true);
    return out;
  }

  /**
   * Drops up to `n` bytes from the front, as read(n) without making a buffer of them.
   * @internal
   */
  discard(n: number): void {
    this.#advance(Math.min(n, this.#pending));
  }

  /**
   * Returns up to `n` bytes without removing them.
   * @internal
   */
  peek(n: number): Buffer {
    return this.#take(Math.min(n, this.#pending), false);
  }

  /**
   * Puts bytes back at the front (bytes an engine read but did not use, such as what follows a
   * close_notify).
   * @internal
   */
  unshift(data: Buffer): void {
    if (data.length === 0) return;
    if (this.#offset > 0) {
      const first = this.#chunks[0];
      if (first) this.#chunks[0] = first.subarray(this.#offset);
      this.#offset = 0;
    }
    this.#chunks.unshift(data);
    this.#pending += data.length;
    this.#written += data.length;
  }

  /** Marks the end of the stream: no more writes; `eof` turns true once drained. */
  writeEof(): void {
    this.#eofWritten = true;
    this.#changes?.next();
  }

  #take(wanted: number, consume: boolean): Buffer {
    if (wanted === 0) return Buffer.alloc(0);
    const first = this.#chunks[0] as Buffer;
    // The common case, one chunk covering the request, is served without copying.
    if (first.length - this.#offset >= wanted) {
      const out = first.subarray(this.#offset, this.#offset + wanted);
      if (consume) this.#advance(wanted);
      return out;
    }
    const out = Buffer.allocUnsafe(wanted);
    let copied = 0;
    let index = 0;
    let offset = this.#offset;
    while (copied < wanted) {
      const chunk = this.#chunks[index] as Buffer;
      const n = Math.min(chunk.length - offset, wanted - copied);
      chunk.copy(out, copied, offset, offset + n);
      copied += n;
      index += 1;
      offset = 0;
    }
    if (consume) this.#advance(wanted);
    return out;
  }

  #advance(n: number): void {
    this.#pending -= n;
    let left = n;
    while (left > 0) {
      const first = this.#chunks[0] as Buffer;
      const available = first.length - this.#offset;
      if (available > left) {
        this.#offset += left;
        return;
      }
      left -= available;
      this.#chunks.shift();
      this.#offset = 0;
    }
  }
}
