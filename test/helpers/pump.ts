/**
 * Test helpers over the public pump of `rxtls/testing` (src/testing/pump.ts).
 */
import { isWouldBlock, SSLWantClientHelloError } from '../../src/errors/errors.js';
import type { SSLContext } from '../../src/context/ssl-context.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import type { SSLObject, SSLSession } from '../../src/transport/sansio/ssl-object.js';
import { MAX_PUMP_ROUNDS, nextEvent, pumpUntil } from '../../src/testing/pump.js';

import { handshake } from '../../src/testing/pump.js';

export { handshake, pumpUntil, step, transfer } from '../../src/testing/pump.js';

const MAX_ROUNDS = MAX_PUMP_ROUNDS;

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

/**
 * Retries `step` on one object until it throws something other than want-read (or a certificate
 * lookup's wait); returns that.
 */
export async function failureOf(obj: SSLObject, step: () => unknown): Promise<unknown> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      step();
    } catch (error) {
      if (!isWouldBlock(error) && !(error instanceof SSLWantClientHelloError)) return error;
      await nextEvent(obj, obj);
      continue;
    }
    throw new Error('the step unexpectedly succeeded');
  }
  throw new Error(`no failure within ${MAX_ROUNDS} rounds`);
}

/**
 * One connection over memory BIOs, offering `session`: answers whether it resumed and the session
 * to offer next. TLS 1.3 tickets come after the handshake: data from the server carries them.
 */
export async function resumeInMemory(
  clientCtx: SSLContext,
  serverCtx: SSLContext,
  session: SSLSession | null = null,
): Promise<{ reused: boolean; session: SSLSession | null }> {
  const c = clientCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
    session,
  });
  const s = serverCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  await handshake(c, s);
  await send(s, c, Buffer.from('ticket'));
  return { reused: c.sessionReused, session: c.session };
}
