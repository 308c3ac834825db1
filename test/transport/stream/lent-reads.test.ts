/**
 * Lent reads by default where rxtls knows the consumer (issue 16): `rxtls serve --echo`'s echo and
 * a function protocol that returns its input are lent chunks from reused buffers, and still move
 * every byte intact; every other reader of data$, with default options, gets chunks of its own:
 * one that keeps every chunk across many reads (over memory and over TCP, fused on the native
 * engine) sees them unchanged at the end.
 */
import { randomBytes } from 'node:crypto';
import { firstValueFrom, tap } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { echoStream } from '../../../src/cli/echo-stream.js';
import { connect } from '../../../src/endpoints/connect.js';
import { runProtocol } from '../../../src/endpoints/run-protocol.js';
import { createServer } from '../../../src/endpoints/server.js';
import { lentData$ } from '../../../src/transport/stream/lent-data.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../../src/transport/stream/ssl-socket.js';
import { useContextPair } from '../../helpers/pki.js';
import { digestOf, echoOverTcp, sha256, streamPair, writeSplit } from '../../helpers/streams.js';

const fixture = useContextPair(test);

/** Resolves with every chunk `socket`'s data$ gave, kept as given, once it completes. */
function keepAll(socket: SSLSocket<unknown>): Promise<Uint8Array[]> {
  const kept: Uint8Array[] = [];
  return new Promise((resolve, reject) => {
    socket.data$.subscribe({
      next: (chunk) => kept.push(chunk),
      complete: () => resolve(kept),
      error: reject,
    });
  });
}

test('with default options, a data$ reader that keeps every chunk over many reads sees them unchanged', async () => {
  const reactor = new Reactor();
  const { client, server } = await streamPair(fixture, reactor);
  const kept = keepAll(server);
  const payload = randomBytes(4 * 1024 * 1024);
  await writeSplit(client, payload, 20_000);
  await client.close();
  const chunks = await kept;
  assert.ok(chunks.length > 16, `only ${chunks.length} reads`);
  assert.is(sha256(Buffer.concat(chunks)), sha256(payload));
  await firstValueFrom(server.closed$);
  assert.is(reactor.stats().connections, 0);
});

test('over TCP (fused on the native engine), a server whose reader keeps every chunk sees 4 MiB unchanged', async () => {
  const reactor = new Reactor();
  let kept!: Promise<Uint8Array[]>;
  const server = createServer({ context: fixture.serverCtx, reactor }, (socket) => {
    kept = keepAll(socket as SSLSocket<unknown>);
    kept.then(() => (socket as SSLSocket<unknown>).close()).catch(() => undefined);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const payload = randomBytes(4 * 1024 * 1024);
  await writeSplit(client, payload, 70_000);
  await client.close();
  const chunks = await kept;
  assert.ok(chunks.length > 16, `only ${chunks.length} reads`);
  assert.is(sha256(Buffer.concat(chunks)), sha256(payload));
  await server.close({ timeoutMs: 5_000 });
  assert.is(reactor.stats().connections, 0);
});

test('a function protocol that keeps chunks on their way out (tap) sees them unchanged', async () => {
  const reactor = new Reactor();
  const kept: Uint8Array[] = [];
  const keepOnTheWay = (socket: SSLSocket<unknown>) =>
    void runProtocol(socket, (input$) => input$.pipe(tap((c) => kept.push(c))));
  const { payload, echoed, connectionsLeft } = await echoOverTcp(
    fixture,
    reactor,
    keepOnTheWay,
    2 * 1024 * 1024,
    70_000,
  );
  assert.is(echoed.sha256, sha256(payload));
  assert.is(sha256(Buffer.concat(kept)), sha256(payload));
  assert.is(connectionsLeft, 0);
});

test('the echo function protocol and serve --echo borrow their chunks and echo 4 MiB intact over TCP', async () => {
  for (const onSocket of [
    (socket: SSLSocket<unknown>) => void runProtocol(socket, (input$) => input$),
    echoStream,
  ]) {
    const reactor = new Reactor();
    const { payload, echoed, connectionsLeft } = await echoOverTcp(
      fixture,
      reactor,
      onSocket,
      4 * 1024 * 1024,
      90_000,
    );
    assert.is(echoed.sha256, sha256(payload));
    assert.is(connectionsLeft, 0);
  }
});

test('lentData$ lends views of a few reused buffers; data$ after it gets owned chunks again', async () => {
  const reactor = new Reactor();
  const { client, server } = await streamPair(fixture, reactor);
  const backing = new Set<ArrayBufferLike>();
  let lent = 0;
  const payload = randomBytes(1024 * 1024);
  const half = payload.length / 2;
  let received = 0;
  const firstHalf = new Promise<void>((resolve) => {
    const subscription = lentData$(server).subscribe((chunk) => {
      backing.add(chunk.buffer);
      lent += 1;
      received += chunk.length;
      if (received >= half) {
        subscription.unsubscribe();
        resolve();
      }
    });
  });
  client.write(payload.subarray(0, half));
  await firstHalf;
  assert.ok(lent > 4, `only ${lent} chunks`);
  assert.ok(backing.size <= 4, `${backing.size} buffers for ${lent} lent chunks`);
  const kept = keepAll(server);
  await writeSplit(client, payload.subarray(half), 20_000);
  await client.close();
  const chunks = await kept;
  assert.is(sha256(Buffer.concat(chunks)), sha256(payload.subarray(half)));
  await firstValueFrom(server.closed$);
});

test.run();

test("serve --echo's echo pauses while its peer does not read, resumes once it does, and loses nothing", async () => {
  const reactor = new Reactor();
  let paused!: () => void;
  const serverPaused = new Promise<void>((resolve) => {
    paused = resolve;
  });
  let resumes = 0;
  const server = createServer({ context: fixture.serverCtx, reactor }, (socket) => {
    const stream = socket as SSLSocket<unknown>;
    // Observes the echo's calls, and passes them on.
    const pause = stream.pause.bind(stream);
    const resume = stream.resume.bind(stream);
    stream.pause = () => {
      paused();
      pause();
    };
    stream.resume = () => {
      resumes += 1;
      resume();
    };
    echoStream(stream);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const echoed = digestOf(client);
  client.pause();
  // More than the loopback socket buffers hold: the echo's writes back up while the client does
  // not read. Written without waiting for writable$: the client's stream queues what it cannot send.
  const payload = randomBytes(16 * 1024 * 1024);
  for (let offset = 0; offset < payload.length; offset += 64 * 1024) {
    client.write(payload.subarray(offset, offset + 64 * 1024));
  }
  await serverPaused;
  client.resume();
  await client.close();
  const digest = await echoed;
  assert.is(digest.bytes, payload.length);
  assert.is(digest.sha256, sha256(payload));
  assert.ok(resumes >= 1, 'the echo resumed reading');
  await server.close({ timeoutMs: 5_000 });
  assert.is(reactor.stats().connections, 0);
});
