import { firstValueFrom, map } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runProtocol } from '../../src/endpoints/run-protocol.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { useContextPair } from '../helpers/pki.js';

const contexts = useContextPair(test);

const MiB = 1024 * 1024;
/** Each input byte becomes this many output bytes: 1 MiB in, 64 MiB out. */
const AMPLIFICATION = 64;
const INPUT_CHUNK = 1024;
const INPUT_TOTAL = 1 * MiB;
/** What may be in flight at once: socket, BIO and pipe buffers plus one amplified chunk. */
const IN_FLIGHT_BOUND = 8 * MiB;

test('a function protocol producing 64 MiB against a slow reader pauses its input and keeps memory bounded', async () => {
  const { serverCtx, clientCtx } = contexts;
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const client = clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = serverCtx.wrapSocket(b, { serverSide: true, reactor });

  let pauses = 0;
  const pause = server.pause.bind(server);
  server.pause = () => {
    pauses += 1;
    pause();
  };
  let produced = 0;
  let consumed = 0;
  let maxInFlight = 0;
  const run = runProtocol(server, (input$) =>
    input$.pipe(
      map((chunk) => {
        const out = Buffer.alloc(chunk.length * AMPLIFICATION, chunk[0] ?? 0);
        produced += out.length;
        maxInFlight = Math.max(maxInFlight, produced - consumed);
        return out;
      }),
    ),
  );
  await client.handshake();

  // The slow reader: one chunk per turn of the event loop, paused in between.
  const received = new Promise<void>((resolve, reject) => {
    client.data$.subscribe({
      next: (chunk) => {
        consumed += chunk.length;
        client.pause();
        setImmediate(() => client.resume());
      },
      complete: resolve,
      error: reject,
    });
  });
  let writerBlocked = 0;
  for (let sent = 0; sent < INPUT_TOTAL; sent += INPUT_CHUNK) {
    if (!client.write(Buffer.alloc(INPUT_CHUNK, sent / INPUT_CHUNK))) {
      writerBlocked += 1;
      await firstValueFrom(client.writable$);
    }
  }
  void client.close();
  await received;
  await run.done;

  assert.is(consumed, INPUT_TOTAL * AMPLIFICATION);
  assert.is(produced, consumed);
  assert.ok(pauses > 0, 'the protocol paused its input');
  assert.ok(writerBlocked > 0, 'the sender felt the backpressure');
  assert.ok(
    maxInFlight <= IN_FLIGHT_BOUND,
    `at most ${IN_FLIGHT_BOUND} bytes in flight, saw ${maxInFlight}`,
  );
});

test.run();
