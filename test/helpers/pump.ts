/**
 * Moves ciphertext between two SSLObjects over memory only (Twisted's IOPump, rustls's
 * transfer()). It waits on `readiness$` when nothing can move, never on a timer, and gives up
 * after a bounded number of rounds or a generous deadline.
 */
import { merge, type Subscription } from 'rxjs';
import { SSLWantReadError, SSLWantWriteError } from '../../src/transport/errors.js';
import type { SSLObject } from '../../src/transport/ssl-object.js';

const MAX_ROUNDS = 10_000;
const DEADLINE_MS = 20_000;

/** Moves whatever each side has written to the other's incoming BIO; true if anything moved. */
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

/** Resolves on the next readiness event of either object, or on a deadline (then rejects). */
function nextEvent(a: SSLObject, b: SSLObject): Promise<void> {
  return new Promise((resolve, reject) => {
    let subscription: Subscription | undefined;
    const timer = setTimeout(() => {
      subscription?.unsubscribe();
      reject(new Error(`no readiness event within ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
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

function wouldBlock(error: unknown): boolean {
  return error instanceof SSLWantReadError || error instanceof SSLWantWriteError;
}

/**
 * Calls `stepA` and `stepB` (each returns true when its side is done, throws to fail) and pumps
 * until both are done. Errors other than want-read/want-write propagate.
 */
export async function pumpUntil(
  a: SSLObject,
  b: SSLObject,
  stepA: () => boolean,
  stepB: () => boolean,
): Promise<void> {
  let doneA = false;
  let doneB = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (!doneA) {
      try {
        doneA = stepA();
      } catch (error) {
        if (!wouldBlock(error)) throw error;
      }
    }
    if (!doneB) {
      try {
        doneB = stepB();
      } catch (error) {
        if (!wouldBlock(error)) throw error;
      }
    }
    const moved = transfer(a, b);
    if (doneA && doneB && !moved) return;
    if (!moved) await nextEvent(a, b);
  }
  throw new Error(`pump did not settle in ${MAX_ROUNDS} rounds`);
}

/** Completes the handshake of a client and a server. */
export function handshake(client: SSLObject, server: SSLObject): Promise<void> {
  return pumpUntil(
    client,
    server,
    step(() => client.doHandshake()),
    step(() => server.doHandshake()),
  );
}

/** Sends `data` from one side and reads exactly its length on the other. */
export async function send(from: SSLObject, to: SSLObject, data: Buffer): Promise<Buffer> {
  let written = false;
  const chunks: Buffer[] = [];
  let received = 0;
  await pumpUntil(
    from,
    to,
    () => {
      if (!written) {
        from.write(data);
        written = true;
      }
      return true;
    },
    () => {
      while (received < data.length) {
        const chunk = to.read(data.length - received);
        if (chunk.length === 0) throw new Error('peer closed before all data arrived');
        chunks.push(chunk);
        received += chunk.length;
      }
      return true;
    },
  );
  return Buffer.concat(chunks);
}

/** Retries `step` on one object until it throws something other than want-read; returns that. */
export async function failureOf(obj: SSLObject, step: () => unknown): Promise<unknown> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      step();
    } catch (error) {
      if (!wouldBlock(error)) return error;
      await nextEvent(obj, obj);
      continue;
    }
    throw new Error('the step unexpectedly succeeded');
  }
  throw new Error(`no failure within ${MAX_ROUNDS} rounds`);
}

/** A pump step that runs `fn` once and then counts as done. */
export function step(fn: () => unknown): () => boolean {
  return () => {
    fn();
    return true;
  };
}
