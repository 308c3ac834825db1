import { createHash, randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SSLContext } from '../../src/context/ssl-context.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/reactor.js';
import { contextPair, makePki, type Pki } from '../helpers/pki.js';

let pki: Pki;
let serverCtx: SSLContext;
let clientCtx: SSLContext;

test.before(async () => {
  pki = await makePki();
  ({ serverCtx, clientCtx } = contextPair(pki));
});
test.after(() => pki.remove());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('end() while the reader is paused with data in flight still delivers it all after resume', async () => {
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const client = clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = serverCtx.wrapSocket(b, { serverSide: true, reactor });
  await Promise.all([client.handshake(), server.handshake()]);
  const payload = randomBytes(512 * 1024);
  const chunks: Uint8Array[] = [];
  const done = new Promise<void>((resolve, reject) => {
    client.data$.subscribe({
      next: (chunk) => {
        chunks.push(chunk);
        if (chunks.length === 1) {
          // A slow reader: stop reading, then send our close_notify with the rest in flight.
          client.pause();
          client.end();
          setImmediate(() => client.resume());
        }
      },
      complete: resolve,
      error: reject,
    });
  });
  const serverSaw = lastValueFrom(server.data$.pipe(toArray()));
  server.write(payload);
  await serverSaw; // our close_notify
  await server.close();
  await done;
  assert.is(sha(Buffer.concat(chunks)), sha(payload));
  await firstValueFrom(client.closed$);
  assert.is(client.error, undefined);
  assert.is(reactor.stats().connections, 0);
});

test.run();
