/**
 * A byte pipe as observables: what TLS runs over (TCP, a memory pipe, another TLS stream) and
 * what a secure stream is to whoever uses it, so TLS nests.
 */
import type { Observable } from 'rxjs';

/** Where an end of a transport is, when it has an address. */
export interface TransportAddress {
  readonly address: string;
  readonly family: string;
  readonly port: number;
}

/**
 * A bidirectional byte stream.
 *
 * `data$` has one consumer: subscribing starts the flow, unsubscribing stops it. It completes on
 * EOF and errors on failure. `write()` returns false once the transport buffers more than its
 * high-water mark; `writable$` emits when it has drained again. Each chunk `data$` emits belongs
 * to its consumer (the transport never reuses it), so a secure stream keeps it without a copy;
 * likewise the bytes given to `write()` are the transport's to keep until written.
 */
export interface Transport {
  readonly data$: Observable<Uint8Array>;
  /** Queues bytes; false means "stop until writable$ emits" (nothing is dropped either way). */
  write(bytes: Uint8Array): boolean;
  readonly writable$: Observable<void>;
  /** Half-close: no more writes from this side; reading continues. */
  end(): void;
  /** Closes both directions now, failing pending operations with `error` if given. */
  destroy(error?: Error): void;
  /** Stops delivering data$ (backpressure); bytes wait in the transport or the kernel. */
  pause(): void;
  resume(): void;
  /** Emits once when the transport has closed completely. */
  readonly closed$: Observable<void>;
  readonly localAddress: TransportAddress | null;
  readonly remoteAddress: TransportAddress | null;
  /** Whether the transport keeps Node's event loop alive (net.Socket's ref()/unref()). */
  ref?(on: boolean): void;
  /** TCP_NODELAY, on a transport that is (or runs over) TCP; absent elsewhere. */
  setNoDelay?(noDelay: boolean): void;
  /** TCP keepalive probes after `initialDelayMs` idle, on a transport that is (or runs over) TCP. */
  setKeepAlive?(enable: boolean, initialDelayMs: number): void;
}
