import { randomBytes } from 'node:crypto';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLEOFError, ValueError } from '../../../src/errors/errors.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import { useContextPair } from '../../helpers/pki.js';
import { sha256, streamPair } from '../../helpers/streams.js';
import { rejectionOf } from '../../helpers/assert-error.js';

const fixture = useContextPair(test);

test('end() while the reader is paused with data in flight still delivers it all after resume', async () => {
  const reactor = new Reactor();
  const { client, server } = await streamPair(fixture, reactor);
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
  assert.is(sha256(Buffer.concat(chunks)), sha256(payload));
  await firstValueFrom(client.closed$);
  assert.is(client.error, undefined);
  assert.is(reactor.stats().connections, 0);
});

/** A peer that reads our close_notify and hangs up instead of answering with its own. */
async function closeAgainstHangUp(suppressRaggedEofs: boolean): Promise<Error | undefined> {
  const reactor = new Reactor();
  const { client, server } = await streamPair(fixture, reactor, {
    client: { suppressRaggedEofs },
    server: { closeOnPeerEnd: false },
  });
  const ended = new Promise<Error | undefined>((resolve) => {
    client.data$.subscribe({ complete: () => resolve(undefined), error: resolve });
  });
  const serverSawEnd = lastValueFrom(server.data$.pipe(toArray()));
  void client.close();
  await serverSawEnd;
  server.abort();
  const outcome = await ended;
  await firstValueFrom(client.closed$);
  assert.is(reactor.stats().connections, 0);
  return outcome;
}

test('a peer that hangs up instead of answering our close_notify ends the stream cleanly by default (asyncio)', async () => {
  assert.is(await closeAgainstHangUp(true), undefined);
});

test('with suppressRaggedEofs false, a hang-up instead of close_notify after ours is SSLEOFError, as Python unwrap()', async () => {
  const error = await closeAgainstHangUp(false);
  assert.instance(error, SSLEOFError);
  assert.match(String(error?.message), /EOF occurred in violation of protocol/);
});

test('unwrap() of a stream that has already closed rejects with ValueError instead of waiting forever', async () => {
  const reactor = new Reactor();
  const { client, server } = await streamPair(fixture, reactor);
  const serverDone = lastValueFrom(server.data$.pipe(toArray()));
  await client.close();
  await serverDone;
  await firstValueFrom(server.closed$);
  const error = await rejectionOf(server.unwrap());
  assert.instance(error, ValueError);
  assert.match(String((error as Error).message), 'cannot unwrap a closed SSLSocket');
  assert.is(reactor.stats().connections, 0);
});

test.run();
