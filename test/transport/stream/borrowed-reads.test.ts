/**
 * borrowedReads: data$ lends views into reused buffers, valid until next() returns. An echo that
 * writes each chunk back moves every byte intact (over memory and over TCP, fused on the native
 * engine); read() still returns owned bytes; a reader that makes another stream read during
 * next() still has its own chunk afterwards.
 */
import { randomBytes } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import { useContextPair } from '../../helpers/pki.js';
import {
  digestOf,
  echo,
  echoOverTcp,
  sha256,
  streamPair,
  writeSplit,
} from '../../helpers/streams.js';

const fixture = useContextPair(test);

function pair(reactor: Reactor, server: { borrowedReads?: boolean } = {}) {
  return streamPair(fixture, reactor, { server });
}

test('an echo over borrowed reads moves 4 MiB intact, and its chunks are views of reused buffers', async () => {
  const reactor = new Reactor();
  const { client, server } = await pair(reactor, { borrowedReads: true });
  const backing = new Set<ArrayBufferLike>();
  let chunks = 0;
  server.data$.subscribe({
    next: (chunk) => {
      backing.add(chunk.buffer);
      chunks += 1;
      if (!server.write(chunk)) server.pause();
    },
    complete: () => void server.close(),
  });
  server.writable$.subscribe(() => server.resume());
  const payload = randomBytes(4 * 1024 * 1024);
  const echoed = digestOf(client);
  await writeSplit(client, payload, 90_000);
  await client.close();
  const digest = await echoed;
  assert.is(digest.sha256, sha256(payload));
  assert.ok(chunks > 10, `only ${chunks} chunks`);
  // Lent chunks share a few buffers (owned ones would each have their own).
  assert.ok(backing.size <= 4, `${backing.size} buffers for ${chunks} chunks`);
  assert.is(reactor.stats().connections, 0);
});

test('over TCP (fused on the native engine), a server with borrowedReads echoes 2 MiB intact', async () => {
  const reactor = new Reactor();
  const { payload, echoed, connectionsLeft } = await echoOverTcp(
    fixture,
    reactor,
    echo,
    2 * 1024 * 1024,
    70_000,
    { borrowedReads: true },
  );
  assert.is(echoed.sha256, sha256(payload));
  assert.is(connectionsLeft, 0);
});

test('read() returns owned bytes even with borrowedReads: keeping them is safe', async () => {
  const reactor = new Reactor();
  const { client, server } = await pair(reactor, { borrowedReads: true });
  const payload = randomBytes(1024 * 1024);
  client.write(payload);
  void client.close();
  const kept: Buffer[] = [];
  // Bounded: the payload arrives in at most a few hundred reads.
  for (let i = 0; i < 10_000; i++) {
    const chunk = await server.read();
    if (chunk.length === 0) break;
    kept.push(chunk);
  }
  assert.is(sha256(Buffer.concat(kept)), sha256(payload));
  assert.ok(
    new Set(kept.map((chunk) => chunk.buffer)).size > 1,
    'read() returned views of one buffer',
  );
  await firstValueFrom(server.closed$);
});

test('a reader that makes another stream read during next() keeps its own chunk', async () => {
  const reactor = new Reactor();
  const one = await pair(reactor, { borrowedReads: true });
  const two = await pair(reactor, { borrowedReads: true });
  // Stream two's reader pauses after its first chunk: the rest waits, undecrypted, in its engine.
  let twoChunks = 0;
  let twoFirst!: () => void;
  const twoPaused = new Promise<void>((resolve) => {
    twoFirst = resolve;
  });
  two.server.data$.subscribe({
    next: () => {
      twoChunks += 1;
      if (twoChunks === 1) {
        two.server.pause();
        twoFirst();
      }
    },
  });
  two.client.write(randomBytes(256 * 1024));
  await twoPaused;
  // Stream one's reader resumes stream two from inside next(): two reads (and lends) right then.
  const verdict = new Promise<[boolean, number]>((resolve) => {
    one.server.data$.subscribe({
      next: (chunk) => {
        const before = sha256(chunk);
        const seen = twoChunks;
        two.server.resume();
        resolve([sha256(chunk) === before, twoChunks - seen]);
      },
    });
  });
  one.client.write(Buffer.alloc(5000, 0x11));
  const [unchanged, nestedReads] = await verdict;
  assert.ok(nestedReads > 0, 'stream two did not read during next(): the test proves nothing');
  assert.ok(unchanged, 'the chunk changed while its reader held it');
  for (const s of [one.client, one.server, two.client, two.server]) s.abort();
});

test.run();
