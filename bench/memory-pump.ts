/**
 * Moves ciphertext between two SSLObjects in memory for the benchmark: the smallest driver an
 * application would write, without the test helpers' deadlines and round limits.
 *
 * It is event-driven: when a pass over both objects moves nothing, it waits for the next
 * readiness event (the node engine completes work on later event-loop turns) and never uses a
 * timer. Each pass is synchronous, so nothing asynchronous can slip between a pass and the wait;
 * events emitted by the pass itself are already accounted for by the pass.
 */
import { merge, type Subscription } from 'rxjs';
import { SSLWantReadError, SSLWantWriteError } from '../src/errors/errors.js';
import type { SSLObject } from '../src/transport/sansio/ssl-object.js';

/** How much a bulk receiver asks for per read(): one 64 KiB application buffer. */
export const BULK_READ_SIZE = 64 * 1024;

function wouldBlock(error: unknown): boolean {
  return error instanceof SSLWantReadError || error instanceof SSLWantWriteError;
}

/** A pump between a client and a server SSLObject. */
export class MemoryPump {
  readonly #client: SSLObject;
  readonly #server: SSLObject;
  readonly #subscription: Subscription;
  #wake: (() => void) | null = null;

  constructor(client: SSLObject, server: SSLObject) {
    this.#client = client;
    this.#server = server;
    const wake = (): void => {
      const resolve = this.#wake;
      this.#wake = null;
      resolve?.();
    };
    this.#subscription = merge(client.readiness$, server.readiness$).subscribe({
      next: wake,
      complete: wake,
    });
  }

  /** Moves whatever each side has written to the other's incoming BIO; true if anything moved. */
  transfer(): boolean {
    let moved = false;
    const client = this.#client;
    const server = this.#server;
    if (client.outgoing.pending > 0) {
      server.incoming.write(client.outgoing.read());
      moved = true;
    }
    if (server.outgoing.pending > 0) {
      client.incoming.write(server.outgoing.read());
      moved = true;
    }
    return moved;
  }

  /** Resolves on the next readiness event of either side. */
  #nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Runs both handshakes to completion. */
  async handshake(): Promise<void> {
    let clientDone = false;
    let serverDone = false;
    for (;;) {
      if (!clientDone) clientDone = attempt(() => this.#client.doHandshake());
      if (!serverDone) serverDone = attempt(() => this.#server.doHandshake());
      const moved = this.transfer();
      if (clientDone && serverDone && !moved) return;
      if (!moved) await this.#nextEvent();
    }
  }

  /**
   * Sends `total` bytes from the client in writes of `chunk` and reads them on the server as fast
   * as they arrive; resolves with the number of bytes received.
   */
  async stream(total: number, chunk: Buffer): Promise<number> {
    const sender = this.#client;
    const receiver = this.#server;
    let sent = 0;
    let received = 0;
    while (received < total) {
      let progressed = false;
      while (sent < total) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        if (!attempt(() => sender.write(piece))) break;
        sent += piece.length;
        progressed = true;
      }
      if (this.transfer()) progressed = true;
      for (;;) {
        let data: Buffer;
        try {
          data = receiver.read(BULK_READ_SIZE);
        } catch (error) {
          if (!wouldBlock(error)) throw error;
          break;
        }
        if (data.length === 0) throw new Error('the peer closed before all data arrived');
        received += data.length;
        progressed = true;
      }
      if (!progressed) await this.#nextEvent();
    }
    return received;
  }

  /** Stops listening to both objects (it does not destroy them). */
  close(): void {
    this.#subscription.unsubscribe();
    this.#wake = null;
  }
}

/** Runs `step`; true if it finished, false if it would block; other errors propagate. */
function attempt(step: () => unknown): boolean {
  try {
    step();
    return true;
  } catch (error) {
    if (wouldBlock(error)) return false;
    throw error;
  }
}
