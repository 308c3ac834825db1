/**
 * The handshake gate of a server: how many handshakes it works on at once, how many accepted
 * connections wait for a turn, how many connections one client address may hold, and what it
 * counts (docs/architecture.md, Limits under attack). A connection takes a slot when its stream is
 * made and gives it back when its handshake has completed or failed, or the stream closed; the
 * handshake deadline bounds how long a silent or dribbling client holds one.
 */
import type { Transport } from '../transport/transport.js';

/**
 * Handshakes a server works on at once. A full handshake costs OpenSSL about 0.5 to 1 ms of CPU
 * (an RSA-2048 signature and an ECDHE share), all of it on the one event loop that also serves
 * the established connections: 128 handshakes arriving together delay them by at most ~0.1 s,
 * while 128 slots held for a 200 ms wide-area handshake (two round trips) still admit ~640
 * handshakes a second, about what one core can sign.
 */
export const DEFAULT_MAX_HANDSHAKES = 128;

/**
 * Accepted connections that wait for a handshake slot before the server refuses more. A waiting
 * connection costs a file descriptor and a paused socket (no TLS state, nothing read), so the
 * queue may be long; beyond it, or past the handshake deadline, a connection is closed.
 */
export const DEFAULT_HANDSHAKE_QUEUE = 1_024;

/** The gate's limits (see ServerOptions). */
export interface HandshakeLimits {
  readonly maxHandshakes: number;
  readonly handshakeQueue: number;
  /** How long a connection may wait in the queue; 0: as long as it takes. */
  readonly queueTimeoutMs: number;
  /** Connections one client address may hold (live, in a handshake or waiting); undefined: any. */
  readonly maxConnectionsPerAddress: number | undefined;
}

/** What the gate counts, as part of `server.stats()`. */
export interface HandshakeGateStats {
  /** Handshakes being worked on now (at most maxHandshakes). */
  handshakesInFlight: number;
  /** Connections waiting for a handshake slot now. */
  handshakesQueued: number;
  /** Connections that waited for a slot, in all. */
  handshakesDeferred: number;
  /** Connections closed unheard: the queue was full, or the wait outlasted the deadline. */
  handshakesRefused: number;
  /** Connections closed because their client address held maxConnectionsPerAddress already. */
  connectionsRefusedPerAddress: number;
}

/**
 * What the gate's server returns for an admitted connection: a promise that settles when the
 * handshake has completed or failed (or the stream closed before). The server calls the `closed`
 * callback the gate gave it once the connection has closed (maybe before start returns): a
 * callback, not a promise, so an idle connection holds no pending promise and reaction
 * (docs/architecture.md, "Memory per idle connection").
 */
export interface GatedConnection {
  readonly handshakeDone: Promise<unknown>;
}

interface Waiting {
  readonly transport: Transport;
  readonly address: string | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Admits connections to their handshake, queues them, or refuses them. */
export class HandshakeGate {
  readonly #limits: HandshakeLimits;
  readonly #start: (transport: Transport, closed: () => void) => GatedConnection | undefined;
  readonly #queue: Waiting[] = [];
  readonly #perAddress = new Map<string, number>();
  #inFlight = 0;
  readonly #counts = { deferred: 0, refused: 0, refusedPerAddress: 0 };

  /**
   * `start` makes the connection's secure stream (undefined: it could not be made) and calls
   * `closed` once when it has closed.
   */
  constructor(
    limits: HandshakeLimits,
    start: (transport: Transport, closed: () => void) => GatedConnection | undefined,
  ) {
    this.#limits = limits;
    this.#start = start;
  }

  /** Connections waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** A connection was accepted (its transport not yet read). */
  offer(transport: Transport): void {
    const address = transport.remoteAddress?.address;
    const limit = this.#limits.maxConnectionsPerAddress;
    if (limit !== undefined && address !== undefined) {
      const held = this.#perAddress.get(address) ?? 0;
      if (held >= limit) {
        this.#counts.refusedPerAddress += 1;
        transport.destroy();
        return;
      }
      this.#perAddress.set(address, held + 1);
    }
    if (this.#inFlight < this.#limits.maxHandshakes) {
      this.#admit(transport, address);
      return;
    }
    if (this.#queue.length >= this.#limits.handshakeQueue) {
      this.#refuse(transport, address);
      return;
    }
    const waiting: Waiting = { transport, address, timer: undefined };
    const ms = this.#limits.queueTimeoutMs;
    if (ms > 0) waiting.timer = setTimeout(() => this.#expire(waiting), ms);
    this.#queue.push(waiting);
    this.#counts.deferred += 1;
  }

  /** Closes every waiting connection (the server is closing). */
  close(): void {
    for (const waiting of this.#queue.splice(0)) {
      clearTimeout(waiting.timer);
      this.#release(waiting.address);
      waiting.transport.destroy();
    }
  }

  stats(): HandshakeGateStats {
    return {
      handshakesInFlight: this.#inFlight,
      handshakesQueued: this.#queue.length,
      handshakesDeferred: this.#counts.deferred,
      handshakesRefused: this.#counts.refused,
      connectionsRefusedPerAddress: this.#counts.refusedPerAddress,
    };
  }

  #admit(transport: Transport, address: string | undefined): void {
    // The slot is taken before the stream is made: it may close while being made.
    this.#inFlight += 1;
    let slotHeld = true;
    const giveBack = (): void => {
      if (!slotHeld) return;
      slotHeld = false;
      this.#inFlight -= 1;
      // Once the stream that freed it has finished closing (or being made).
      queueMicrotask(() => this.#next());
    };
    const closed = (): void => {
      giveBack();
      this.#release(address);
    };
    const connection = this.#start(transport, closed);
    if (connection === undefined) {
      closed();
      return;
    }
    // Both settle once: whichever comes first frees the slot (a stream may close mid-handshake).
    connection.handshakeDone.then(giveBack, giveBack);
  }

  /** A slot is free: the longest-waiting connection gets it. */
  #next(): void {
    while (this.#inFlight < this.#limits.maxHandshakes) {
      const waiting = this.#queue.shift();
      if (waiting === undefined) return;
      clearTimeout(waiting.timer);
      this.#admit(waiting.transport, waiting.address);
    }
  }

  #expire(waiting: Waiting): void {
    const index = this.#queue.indexOf(waiting);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    this.#refuse(waiting.transport, waiting.address);
  }

  #refuse(transport: Transport, address: string | undefined): void {
    this.#counts.refused += 1;
    this.#release(address);
    transport.destroy();
  }

  #release(address: string | undefined): void {
    if (address === undefined || this.#limits.maxConnectionsPerAddress === undefined) return;
    const held = (this.#perAddress.get(address) ?? 1) - 1;
    if (held > 0) this.#perAddress.set(address, held);
    else this.#perAddress.delete(address);
  }
}
