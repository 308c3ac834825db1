/**
 * Moves ciphertext between two SSLObjects over memory only (Twisted's IOPump, rustls's
 * transfer()), for testing protocols without sockets. It waits on `readiness$` when nothing can
 * move, never on a timer, and gives up after a bounded number of rounds or a deadline.
 */
import { merge, type Subscription } from 'rxjs';
import { isWouldBlock, SSLWantClientHelloError } from '../errors/errors.js';
import type { SSLObject } from '../transport/sansio/ssl-object.js';

/** Rounds a pump makes before it gives up. */
export const MAX_PUMP_ROUNDS = 10_000;
/** How long a pump waits for a readiness event before it gives up. */
export const PUMP_DEADLINE_MS = 20_000;

/** Moves what each side has written into the other's incoming BIO; true if anything moved. */
export function transfer(a: SSLObject, b: SSLObject): boolean {
  let moved = false;
  if (a.outgoing.pending > 0) {
    b.incoming.write(a.outgoing.read());
    moved = true;
  }
  if (b.outgoing.pending > 0) {
    a.incoming.write(b.outgoing.read());
    moved = true;
  }
  return moved;
}

/** Resolves on the next readiness event of either object; rejects after the deadline. */
export function nextEvent(a: SSLObject, b: SSLObject): Promise<void> {
  return new Promise((resolve, reject) => {
    let subscription: Subscription | undefined;
    const timer = setTimeout(() => {
      subscription?.unsubscribe();
      reject(new Error(`no readiness event within ${PUMP_DEADLINE_MS} ms`));
    }, PUMP_DEADLINE_MS);
    subscription = merge(a.readiness$, b.readiness$).subscribe({
      next: () => {
        clearTimeout(timer);
        subscription?.unsubscribe();
        resolve();
      },
      complete: () => {
        clearTimeout(timer);
        resolve();
      },
    });
  });
}

/** "Not yet": want-read, want-write, or a server's certificate lookup still running. */
function notYet(error: unknown): boolean {
  return isWouldBlock(error) || error instanceof SSLWantClientHelloError;
}

/**
 * Calls `stepA` and `stepB` (each returns true when its side is done, throws to fail) and pumps
 * until both are done. Errors other than want-read/want-write (and a certificate lookup's wait,
 * which ends with the `client-hello-settled` readiness event) propagate.
 */
export async function pumpUntil(
  a: SSLObject,
  b: SSLObject,
  stepA: () => boolean,
  stepB: () => boolean,
): Promise<void> {
  let doneA = false;
  let doneB = false;
  for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
    if (!doneA) {
      try {
        doneA = stepA();
      } catch (error) {
        if (!notYet(error)) throw error;
      }
    }
    if (!doneB) {
      try {
        doneB = stepB();
      } catch (error) {
        if (!notYet(error)) throw error;
      }
    }
    const moved = transfer(a, b);
    if (doneA && doneB && !moved) return;
    if (!moved) await nextEvent(a, b);
  }
  throw new Error(`pump did not settle in ${MAX_PUMP_ROUNDS} rounds`);
}

/** A pump step that runs `fn` once and then counts as done. */
export function step(fn: () => unknown): () => boolean {
  return () => {
    fn();
    return true;
  };
}

/**
 * Completes the handshake of a client and a server SSLObject over memory.
 *
 * @example
 * ```ts
 * await handshake(clientCtx.wrapBio(...), serverCtx.wrapBio(...));
 * ```
 */
export function handshake(client: SSLObject, server: SSLObject): Promise<void> {
  return pumpUntil(
    client,
    server,
    step(() => client.doHandshake()),
    step(() => server.doHandshake()),
  );
}
