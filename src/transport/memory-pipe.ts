/**
 * Two connected in-memory transports: what one writes, the other reads. For tests (a whole TLS
 * conversation without sockets) and for composing streams.
 */
import { Observable, ReplaySubject, Subject, type Subscriber } from 'rxjs';
import type { Transport, TransportAddress } from './transport.js';

/** Bytes a pipe end buffers before write() returns false. */
const PIPE_HIGH_WATER_MARK = 64 * 1024;

class PipeEnd implements Transport {
  peer!: PipeEnd;
  readonly #name: string;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #reader: Subscriber<Uint8Array> | undefined;
  #paused = false;
  #ended = false; // the peer will send no more
  #closed = false;
  #flushing = false;
  readonly #writable = new Subject<void>();
  readonly #closedSubject = new ReplaySubject<void>(1);
  readonly data$: Observable<Uint8Array>;
  readonly writable$: Observable<void> = this.#writable.asObservable();
  readonly closed$: Observable<void> = this.#closedSubject.asObservable();

  constructor(name: string) {
    this.#name = name;
    this.data$ = new Observable<Uint8Array>((subscriber) => {
      this.#reader = subscriber;
      this.#schedule();
      return () => {
        if (this.#reader === subscriber) this.#reader = undefined;
      };
    });
  }

  /** Deliveries happen on a later microtask, as a socket's would: never inside write(). */
  #schedule(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => {
      this.#flushing = false;
      this.#flush();
    });
  }

  #flush(): void {
    const reader = this.#reader;
    if (!reader) return;
    while (this.#queue.length > 0 && !this.#paused) {
      const chunk = this.#queue.shift()!;
      this.#queued -= chunk.length;
      reader.next(chunk);
      if (this.#queued < PIPE_HIGH_WATER_MARK) this.peer.#writable.next();
    }
    if (this.#queue.length === 0 && this.#ended) reader.complete();
  }

  #receive(bytes: Uint8Array): boolean {
    this.#queue.push(Buffer.from(bytes));
    this.#queued += bytes.length;
    this.#schedule();
    return this.#queued < PIPE_HIGH_WATER_MARK;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.peer.#ended) return false;
    return this.peer.#receive(bytes);
  }

  end(): void {
    if (this.peer.#ended) return;
    this.peer.#ended = true;
    this.peer.#schedule();
  }

  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.end();
    if (!this.#ended) {
      this.#ended = true;
      if (error) this.#reader?.error(error);
      else this.#schedule();
    }
    this.#closedSubject.next();
    this.#closedSubject.complete();
    this.peer.destroy();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  get localAddress(): TransportAddress | null {
    return { address: this.#name, family: 'memory', port: 0 };
  }

  get remoteAddress(): TransportAddress | null {
    return this.peer.localAddress;
  }
}

/** A connected pair of in-memory transports. */
export function memoryPipe(): [Transport, Transport] {
  const a = new PipeEnd('memory-a');
  const b = new PipeEnd('memory-b');
  a.peer = b;
  b.peer = a;
  return [a, b];
}
