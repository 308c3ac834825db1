/**
 * A transport whose data$ first replays bytes already read from it: what `SSLSocket.unwrap()`
 * returns, carrying the plaintext the peer sent right after its close_notify.
 */
import { concat, type Observable, of } from 'rxjs';
import type { Transport, TransportAddress } from './transport.js';

/** `inner` with `prefix` delivered first. */
export class PrefixedTransport implements Transport {
  readonly #inner: Transport;
  readonly data$: Observable<Uint8Array>;

  constructor(prefix: Uint8Array, inner: Transport) {
    this.#inner = inner;
    this.data$ = prefix.length > 0 ? concat(of(prefix), inner.data$) : inner.data$;
  }

  write(bytes: Uint8Array): boolean {
    return this.#inner.write(bytes);
  }
  get writable$(): Observable<void> {
    return this.#inner.writable$;
  }
  get closed$(): Observable<void> {
    return this.#inner.closed$;
  }
  end(): void {
    this.#inner.end();
  }
  destroy(error?: Error): void {
    this.#inner.destroy(error);
  }
  pause(): void {
    this.#inner.pause();
  }
  resume(): void {
    this.#inner.resume();
  }
  get localAddress(): TransportAddress | null {
    return this.#inner.localAddress;
  }
  get remoteAddress(): TransportAddress | null {
    return this.#inner.remoteAddress;
  }
}
