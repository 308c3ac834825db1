/**
 * The Reactor: the registry of live secure streams. It makes them (attach), counts them (stats)
 * and closes them all gracefully (shutdown). It moves no bytes: each stream's own pump turns
 * want-read and want-write into retries (docs/architecture.md, "The Reactor"). One per process by
 * default; servers and tests may have their own.
 */
import type { SSLObject } from '../sansio/ssl-object.js';
import { SSLSocket } from './ssl-socket.js';
import type { SSLSocketOptions, StreamObserver } from './stream-options.js';
import type { Transport } from '../transport.js';

/** Live counts, as `reactor.stats()` reports them. */
export interface ReactorStats {
  /** Streams not yet closed. */
  connections: number;
  handshakesOk: number;
  handshakesFailed: number;
  /** Of the handshakes ok, those that resumed a session. */
  handshakesResumed: number;
  /** Ciphertext bytes received and sent. */
  bytesIn: number;
  bytesOut: number;
}

/** Options of {@link Reactor.shutdown}. */
export interface ShutdownOptions {
  /** How long to wait for the peers' close_notify before closing anyway (default 30 000). */
  timeoutMs?: number;
}

/** Makes secure streams, accounts for them, and shuts them down together. */
export class Reactor {
  readonly #sockets = new Set<SSLSocket<unknown>>();
  readonly #stats: Omit<ReactorStats, 'connections'> = {
    handshakesOk: 0,
    handshakesFailed: 0,
    handshakesResumed: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  readonly #observer: StreamObserver = {
    onHandshake: (ok, resumed) => {
      if (resumed) this.#stats.handshakesResumed += 1;
      if (ok) this.#stats.handshakesOk += 1;
      else this.#stats.handshakesFailed += 1;
    },
    onBytes: (direction, count) => {
      if (direction === 'in') this.#stats.bytesIn += count;
      else this.#stats.bytesOut += count;
    },
    onClosed: (socket) => {
      this.#sockets.delete(socket);
    },
  };

  /** Starts a secure stream of `sslobj` over `transport`. */
  attach<C>(
    sslobj: SSLObject<C>,
    transport: Transport,
    options: SSLSocketOptions = {},
  ): SSLSocket<C> {
    const socket = new SSLSocket<C>(sslobj, transport, this.#observer, options);
    if (socket.state !== 'closed') this.#sockets.add(socket as SSLSocket<unknown>);
    return socket;
  }

  /** A snapshot of the live counts. */
  stats(): ReactorStats {
    return { connections: this.#sockets.size, ...this.#stats };
  }

  /** The streams not yet closed. */
  get sockets(): ReadonlySet<SSLSocket<unknown>> {
    return this.#sockets;
  }

  /**
   * Sends close_notify on every stream, waits for the peers' answers up to `timeoutMs`, then
   * closes whatever is left.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const closing = [...this.#sockets].map((socket) => socket.close());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled(closing), deadline]);
    clearTimeout(timer);
    for (const socket of [...this.#sockets]) socket.abort();
  }
}

let processReactor: Reactor | undefined;

/** The process-wide reactor, made on first use. */
export function defaultReactor(): Reactor {
  processReactor ??= new Reactor();
  return processReactor;
}
