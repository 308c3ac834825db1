/**
 * A secure stream's three deadlines: the handshake's, the idle period's (re-armed by traffic) and
 * the shutdown's (waiting for the peer's close_notify). Each expiry reports its phase; the stream
 * fails with TLSTimeoutError. Once stopped (the stream closed), nothing re-arms them.
 */
import type { TimeoutPhase } from '../../errors/errors.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../limits.js';
import type { SSLSocketOptions } from './stream-options.js';

/** How long each phase may take, in milliseconds; 0 disables one. */
export interface TimeoutsMs {
  readonly handshake: number;
  readonly idle: number;
  readonly shutdown: number;
}

export class StreamTimers {
  readonly #ms: TimeoutsMs;
  readonly #onTimeout: (phase: TimeoutPhase, ms: number) => void;
  #handshake: ReturnType<typeof setTimeout> | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #shutdown: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(ms: TimeoutsMs, onTimeout: (phase: TimeoutPhase, ms: number) => void) {
    this.#ms = ms;
    this.#onTimeout = onTimeout;
  }

  /** A stream's timers from its options: handshake 60 s and shutdown 30 s (asyncio's), idle off. */
  static fromOptions(
    options: SSLSocketOptions,
    onTimeout: (phase: TimeoutPhase, ms: number) => void,
  ): StreamTimers {
    const ms = {
      handshake: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      idle: options.idleTimeoutMs ?? 0,
      shutdown: options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    };
    return new StreamTimers(ms, onTimeout);
  }

  /** The handshake has begun: it must complete within its timeout. */
  startHandshake(): void {
    this.#handshake = this.#arm('handshake', this.#ms.handshake);
  }

  handshakeDone(): void {
    clearTimeout(this.#handshake);
    // A cleared timer still holds its callback: let both go for the connection's idle life.
    this.#handshake = undefined;
  }

  /** Traffic moved: the idle period starts again. */
  touch(): void {
    if (this.#ms.idle <= 0 || this.#stopped) return;
    clearTimeout(this.#idle);
    this.#idle = this.#arm('idle', this.#ms.idle);
  }

  /** Our close_notify is out: the peer's must come within the shutdown timeout. */
  startShutdown(): void {
    this.#shutdown = this.#arm('shutdown', this.#ms.shutdown);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#handshake);
    clearTimeout(this.#idle);
    clearTimeout(this.#shutdown);
  }

  #arm(phase: TimeoutPhase, ms: number): ReturnType<typeof setTimeout> | undefined {
    if (ms <= 0) return undefined;
    return setTimeout(() => this.#onTimeout(phase, ms), ms);
  }
}
