import { type Observable, ReplaySubject } from 'rxjs';
import { ValueError } from '../../errors/errors.js';
import type { Transport } from '../transport.js';

/**
 * A promise made only when someone asks for it. Most streams' handshake and close are never
 * awaited (a server's connections), and each promise, its callbacks and its rejection cost
 * allocations per connection. An error may be given as a function, made only when asked for too
 * (an Error costs a stack trace).
 */
export class Outcome<T> {
  #settled = false;
  #value: T | undefined;
  #error: (() => unknown) | undefined;
  #promise: Promise<T> | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  /** Resolved or rejected. */
  get settled(): boolean {
    return this.#settled;
  }

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
    this.#forgetSettlers();
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
    this.#forgetSettlers();
  }

  /** Settled, the promise's resolve and reject functions are garbage (a long-lived stream keeps its handshake's). */
  #forgetSettlers(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
  }
}

/**
 * What the application awaits of one stream: its handshake, its close (and closed$), and the
 * transport an unwrap() hands back. The stream settles them as its flows end.
 */
export class StreamOutcomes {
  readonly handshake = new Outcome<void>();
  readonly closed = new Outcome<void>();
  /** Made when someone first asks for closed$ (most server connections never do). */
  #closedSubject: ReplaySubject<void> | undefined;
  #closed$: Observable<void> | undefined;
  /** The one callback whenClosed() registered (the stream's owner: its server). */
  #onClose: (() => void) | undefined;
  /** Asked for by unwrap(): the shutdown hands the transport back instead of closing it. */
  #unwrap: Outcome<Transport> | undefined;

  /** Emits once when the stream has closed (a subscriber after the close hears it at once). */
  get closed$(): Observable<void> {
    if (this.#closed$ === undefined) {
      const subject = new ReplaySubject<void>(1);
      if (this.closed.settled) {
        subject.next();
        subject.complete();
      }
      this.#closedSubject = subject;
      this.#closed$ = subject.asObservable();
    }
    return this.#closed$;
  }

  /**
   * Calls `callback` once when the stream has closed (at once if it has), before closed$'s
   * subscribers: a field, not a subscription, for the owner every stream has (docs/architecture.md,
   * "Memory per idle connection"). One callback per stream.
   */
  whenClosed(callback: () => void): void {
    if (this.closed.settled) callback();
    else this.#onClose = callback;
  }

  /** Whether unwrap() was asked for. */
  get unwrapping(): boolean {
    return this.#unwrap !== undefined;
  }

  /** unwrap()'s promise, made on its first call. */
  unwrap(): Promise<Transport> {
    this.#unwrap ??= new Outcome<Transport>();
    return this.#unwrap.promise;
  }

  /** The TLS layer is gone: `plaintext` is the transport underneath, for unwrap(). */
  unwrapped(plaintext: Transport): void {
    this.#unwrap?.resolve(plaintext);
  }

  /** The stream failed: the handshake and an unwrap() fail with `error`. */
  failed(error: Error): void {
    this.handshake.reject(error);
    this.#unwrap?.reject(error);
  }

  /** The stream ended without `failed()`: what never happened says why. */
  cutShort(): void {
    this.handshake.rejectWith(
      () => new ValueError('the connection closed before the handshake completed'),
    );
    // An unwrap() the close cut short (a handshake aborted, a transport gone) has nothing to give.
    this.#unwrap?.rejectWith(() => new ValueError('the connection closed before unwrap completed'));
  }

  /** The stream has closed. */
  close(): void {
    if (this.closed.settled) return;
    this.closed.resolve();
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
    this.#closedSubject?.next();
    this.#closedSubject?.complete();
  }
}
