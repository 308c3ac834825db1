import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { firstValueFrom, lastValueFrom, tap, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../../../src/constants/ssl-constants.js';
import { engineAvailable } from '../../../src/transport/engines/engines.js';
import { SSLEOFError, TLSTimeoutError, ValueError } from '../../../src/errors/errors.js';
import { MemoryBIO } from '../../../src/transport/sansio/memory-bio.js';
import { memoryPipe } from '../../../src/transport/memory-pipe.js';
import { WHEN_CLOSED } from '../../../src/transport/stream/close-hook.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../../src/transport/stream/ssl-socket.js';
import { TcpTransport } from '../../../src/transport/tcp-transport.js';
import type { Transport } from '../../../src/transport/transport.js';
import { contextPair, useContextPair } from '../../helpers/pki.js';
import { rejectionOf } from '../../helpers/assert-error.js';
import { sha256 } from '../../helpers/streams.js';

const fixture = useContextPair(test);

async function collect(socket: SSLSocket | Transport): Promise<Buffer> {
  const chunks = await lastValueFrom(socket.data$.pipe(toArray()));
  return Buffer.concat(chunks);
}

function securePair(reactor: Reactor, options: { idleTimeoutMs?: number } = {}) {
  const [a, b] = memoryPipe();
  const client = fixture.clientCtx.wrapSocket(a, {
    serverHostname: 'localhost',
    reactor,
    ...options,
  });
  const server = fixture.serverCtx.wrapSocket(b, { serverSide: true, reactor, ...options });
  return { client, server };
}

test('a secure stream over a memory pipe handshakes, carries data both ways and closes with close_notify', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  await Promise.all([client.handshake(), server.handshake()]);
  assert.is(client.version(), server.version());
  assert.is(client.state, 'open');
  const fromClient = collect(server);
  const fromServer = collect(client);
  client.write('hello ');
  client.write(Buffer.from('server'));
  server.write('hi client');
  await client.close();
  assert.is((await fromClient).toString(), 'hello server');
  assert.is((await fromServer).toString(), 'hi client');
  await firstValueFrom(server.closed$);
  assert.is(server.state, 'closed');
  const stats = reactor.stats();
  assert.is(stats.connections, 0);
  assert.is(stats.handshakesOk, 2);
  assert.ok(stats.bytesIn > 0 && stats.bytesOut === stats.bytesIn);
});

test('a server that speaks first is heard without the client sending anything, on both engines', async () => {
  for (const engine of ['native', 'node'] as const) {
    if (!engineAvailable(engine)) continue;
    const server = new SSLContext(PROTOCOL_TLS_SERVER, { engine });
    server.loadCertChain(fixture.pki.path('server-combined'));
    const client = new SSLContext(PROTOCOL_TLS_CLIENT, { engine });
    client.loadVerifyLocations({ cafile: fixture.pki.path('ca') });
    const [a, b] = memoryPipe();
    const reactor = new Reactor();
    const c = client.wrapSocket(a, { serverHostname: 'localhost', reactor });
    const s = server.wrapSocket(b, { serverSide: true, reactor });
    // The server's handshake completes on the client's Finished, which for the node engine is
    // announced later, with nothing new in `incoming`: it must still greet.
    await s.handshake();
    s.write('220 greetings\r\n');
    const greeting = await c.read();
    assert.is(greeting.toString(), '220 greetings\r\n', engine);
    const end = collect(s); // a reader, so the server answers the client's close_notify at once
    await c.close();
    assert.is((await end).length, 0);
    await firstValueFrom(s.closed$);
  }
});

test("with closeOnPeerEnd false the stream still writes after the peer's close_notify (half-close)", async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  server.closeOnPeerEnd = false;
  assert.is(server.closeOnPeerEnd, false);
  await Promise.all([client.handshake(), server.handshake()]);
  const fromServer = collect(client);
  const fromClient = await new Promise<Buffer>((resolve) => {
    const chunks: Uint8Array[] = [];
    server.data$.subscribe({
      next: (c) => chunks.push(c),
      complete: () => resolve(Buffer.concat(chunks)),
    });
    client.write('question');
    void client.close();
  });
  assert.is(fromClient.toString(), 'question');
  // The answer comes on a later turn, after the end: it still reaches the client.
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(server.state, 'open');
  assert.ok(server.write('late answer'));
  // Turning it back on after the end closes our direction as it would have then.
  server.closeOnPeerEnd = true;
  await firstValueFrom(server.closed$);
  assert.is((await fromServer).toString(), 'late answer');
});

test('close() behind a paused reader waits for it instead of failing on unread data', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  await Promise.all([client.handshake(), server.handshake()]);
  const payload = Buffer.alloc(200_000, 9);
  let received = 0;
  const done = new Promise<void>((resolve, reject) => {
    client.data$.subscribe({
      next: (chunk) => {
        received += chunk.length;
        client.pause();
        setImmediate(() => client.resume());
      },
      complete: resolve,
      error: reject,
    });
  });
  server.data$.subscribe({ error: () => undefined });
  server.write(payload);
  const closed = client.close();
  await done;
  await closed;
  assert.is(received, payload.length);
  assert.is(client.error, undefined);
});

test('a stream destroyed while its reader is paused still delivers what it buffered, then completes', async () => {
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  // The server's transport, with a tap that says when the client's bytes have passed through it
  // (the stream decrypts them into its reader's buffer in the same call).
  let passed = 0;
  let waiting: { bytes: number; resolve(): void } | undefined;
  const passedThrough = (bytes: number) =>
    new Promise<void>((resolve) => {
      waiting = { bytes, resolve };
    });
  const tapped: Transport = {
    data$: b.data$.pipe(
      tap((chunk) => {
        passed += chunk.length;
        if (waiting && passed >= waiting.bytes) waiting.resolve();
      }),
    ),
    write: (bytes) => b.write(bytes),
    writable$: b.writable$,
    end: () => b.end(),
    destroy: (error) => b.destroy(error),
    pause: () => b.pause(),
    resume: () => b.resume(),
    closed$: b.closed$,
    localAddress: b.localAddress,
    remoteAddress: b.remoteAddress,
  };
  const client = fixture.clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = fixture.serverCtx.wrapSocket(tapped, { serverSide: true, reactor });
  await Promise.all([client.handshake(), server.handshake()]);
  // Two messages that arrive apart: the reader-less server buffers them as two chunks.
  const messages = [randomBytes(1000), randomBytes(2000)];
  for (const message of messages) {
    const arrived = passedThrough(passed + message.length);
    client.write(message);
    await arrived;
  }
  const chunks: Uint8Array[] = [];
  let end = 'none';
  server.data$.subscribe({
    next: (chunk) => {
      chunks.push(Buffer.from(chunk));
      server.pause();
    },
    complete: () => {
      end = 'complete';
    },
    error: () => {
      end = 'error';
    },
  });
  assert.equal(chunks, [messages[0]]);
  server.destroy();
  assert.is(server.state, 'closed');
  assert.is(end, 'none');
  // Resuming delivers the rest at once, and the end after it.
  server.resume();
  assert.equal(chunks, messages);
  assert.is(end, 'complete');
  client.abort();
});

test('data$ has one consumer at a time: a second one reads on from where the first left', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  await Promise.all([client.handshake(), server.handshake()]);
  const first = await new Promise<string>((resolve) => {
    const subscription = server.data$.subscribe((chunk) => {
      subscription.unsubscribe();
      resolve(Buffer.from(chunk).toString());
    });
    let error: unknown;
    server.data$.subscribe({ error: (e: unknown) => (error = e) });
    assert.ok(error instanceof Error, 'a second consumer at the same time is refused');
    client.write('one');
  });
  assert.is(first, 'one');
  client.write('two');
  client.write('three');
  // The second consumer reads on; with it the server sees the end and answers close_notify at
  // once (a stream nobody reads would keep the closing client waiting for its shutdown timeout).
  const rest = collect(server);
  await client.close();
  assert.is((await rest).toString(), 'twothree');
});

test('echo of random data over TCP on 127.0.0.1 arrives byte-exact in both directions', async () => {
  const reactor = new Reactor();
  const server = net.createServer((socket) => {
    const tls = fixture.serverCtx.wrapSocket(new TcpTransport(socket), {
      serverSide: true,
      reactor,
    });
    tls.data$.subscribe({
      next: (chunk) => {
        if (!tls.write(chunk)) tls.pause();
      },
      complete: () => void tls.close(),
    });
    tls.writable$.subscribe(() => tls.resume());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const transport = await TcpTransport.connect({ host: '127.0.0.1', port });
    const client = fixture.clientCtx.wrapSocket(transport, {
      serverHostname: 'localhost',
      reactor,
    });
    await client.handshake();
    const payload = randomBytes(4 * 1024 * 1024 + 17);
    const echoed = collect(client);
    let offset = 0;
    while (offset < payload.length) {
      const size = Math.min(payload.length - offset, 1 + Math.floor(Math.random() * 100_000));
      const ok = client.write(payload.subarray(offset, offset + size));
      offset += size;
      if (!ok) await firstValueFrom(client.writable$);
    }
    // Half-close: our close_notify goes out, the echo keeps coming until the server's.
    client.end();
    const back = await echoed;
    assert.is(back.length, payload.length);
    assert.is(sha256(back), sha256(payload));
    await firstValueFrom(client.closed$);
  } finally {
    await reactor.shutdown({ timeoutMs: 1_000 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a ragged EOF completes data$ when suppressed and errors with SSLEOFError when not', async () => {
  for (const suppressRaggedEofs of [true, false]) {
    const reactor = new Reactor();
    const [a, b] = memoryPipe();
    const client = fixture.clientCtx.wrapSocket(a, {
      serverHostname: 'localhost',
      reactor,
      suppressRaggedEofs,
    });
    const server = fixture.serverCtx.wrapSocket(b, { serverSide: true, reactor });
    await Promise.all([client.handshake(), server.handshake()]);
    const received = collect(client);
    server.write('last words');
    await new Promise((resolve) => setImmediate(resolve));
    b.end(); // the peer's TCP goes away without close_notify
    if (suppressRaggedEofs) {
      assert.is((await received).toString(), 'last words');
    } else {
      let error: unknown;
      await received.catch((e: unknown) => {
        error = e;
      });
      assert.instance(error, SSLEOFError);
    }
    await reactor.shutdown({ timeoutMs: 100 });
  }
});

test('a client that sends nothing hits the handshake timeout with a named error', async () => {
  const reactor = new Reactor();
  const [, b] = memoryPipe();
  const server = fixture.serverCtx.wrapSocket(b, {
    serverSide: true,
    reactor,
    handshakeTimeoutMs: 50,
  });
  let error: unknown;
  await server.handshake().catch((e: unknown) => {
    error = e;
  });
  assert.instance(error, TLSTimeoutError);
  assert.is((error as TLSTimeoutError).phase, 'handshake');
  assert.is((error as TLSTimeoutError).code, 'ERR_RXTLS_HANDSHAKE_TIMEOUT');
  assert.is(server.state, 'closed');
  assert.is(reactor.stats().handshakesFailed, 1);
});

test('an idle connection ends with TLSTimeoutError(idle); traffic keeps it alive', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor, { idleTimeoutMs: 80 });
  await Promise.all([client.handshake(), server.handshake()]);
  let error: unknown;
  await collect(server).catch((e: unknown) => {
    error = e;
  });
  assert.instance(error, TLSTimeoutError);
  assert.is((error as TLSTimeoutError).phase, 'idle');
  await reactor.shutdown({ timeoutMs: 100 });
});

test('abort closes at once without close_notify; the peer sees a clean or ragged end', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  await Promise.all([client.handshake(), server.handshake()]);
  const serverData = collect(server);
  client.abort();
  assert.is(client.state, 'closed');
  assert.is((await serverData).length, 0);
  await reactor.shutdown({ timeoutMs: 100 });
});

test('unwrap returns the plaintext transport with the bytes after close_notify', async () => {
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const client = fixture.clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = fixture.serverCtx.wrapSocket(b, { serverSide: true, reactor });
  await Promise.all([client.handshake(), server.handshake()]);
  const [plainClient, plainServer] = await Promise.all([client.unwrap(), server.unwrap()]);
  const received = firstValueFrom(plainServer.data$);
  plainClient.write(Buffer.from('plaintext again'));
  assert.is(Buffer.from(await received).toString(), 'plaintext again');
  plainClient.destroy();
});

test('TLS inside TLS: a secure stream over a secure stream over TCP', async () => {
  const reactor = new Reactor();
  const [outerA, outerB] = memoryPipe();
  const outerClient = fixture.clientCtx.wrapSocket(outerA, {
    serverHostname: 'localhost',
    reactor,
  });
  const outerServer = fixture.serverCtx.wrapSocket(outerB, { serverSide: true, reactor });
  await Promise.all([outerClient.handshake(), outerServer.handshake()]);
  const innerClient = fixture.clientCtx.wrapSocket(outerClient, {
    serverHostname: 'localhost',
    reactor,
  });
  const innerServer = fixture.serverCtx.wrapSocket(outerServer, { serverSide: true, reactor });
  await Promise.all([innerClient.handshake(), innerServer.handshake()]);
  const got = collect(innerServer);
  innerClient.write('nested');
  await innerClient.close();
  assert.is((await got).toString(), 'nested');
  await reactor.shutdown({ timeoutMs: 500 });
  assert.is(reactor.stats().connections, 0);
  assert.is(reactor.stats().handshakesOk, 4);
});

test('write() returns false above the high-water mark and writable$ fires when drained', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  await Promise.all([client.handshake(), server.handshake()]);
  server.pause();
  let ok = true;
  let written = 0;
  for (let i = 0; i < 64 && ok; i++) {
    ok = client.write(randomBytes(16 * 1024));
    written += 16 * 1024;
  }
  assert.is(ok, false, 'a paused reader makes the writer stop');
  const drained = firstValueFrom(client.writable$);
  const received = collect(server);
  server.resume();
  await drained;
  await client.close();
  assert.is((await received).length, written);
});

test('reactor.shutdown sends close_notify on every stream and waits for them', async () => {
  const reactor = new Reactor();
  const pairs = [securePair(reactor), securePair(reactor), securePair(reactor)];
  await Promise.all(
    pairs.flatMap(({ client, server }) => [client.handshake(), server.handshake()]),
  );
  const ends = pairs.map(({ server }) => collect(server));
  assert.is(reactor.stats().connections, 6);
  await reactor.shutdown({ timeoutMs: 2_000 });
  for (const end of ends) assert.is((await end).length, 0);
  assert.is(reactor.stats().connections, 0);
});

test('unwrap() while the handshake runs rejects with ValueError instead of waiting forever', async () => {
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const client = fixture.clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = fixture.serverCtx.wrapSocket(b, { serverSide: true, reactor });
  // close() aborts a handshake in progress: there is no TLS layer left to remove.
  const error = await rejectionOf(client.unwrap());
  assert.instance(error, ValueError);
  assert.match((error as Error).message, 'closed before unwrap completed');
  await server.handshake().catch(() => undefined);
  assert.is(client.state, 'closed');
});

test('an SSLObject readiness$ subscriber hears the error that ends its stream, then completion', async () => {
  const { clientCtx: pinned } = contextPair(fixture.pki);
  pinned.addPeerCheck(() => {
    throw new Error('not the pinned key');
  });
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const sslobj = pinned.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
  const events: string[] = [];
  sslobj.readiness$.subscribe({
    next: (event) => events.push(event.type),
    complete: () => events.push('COMPLETE'),
  });
  const client = reactor.attach(sslobj, a);
  const server = fixture.serverCtx.wrapSocket(b, { serverSide: true, reactor });
  const error = await rejectionOf(client.handshake());
  assert.match(String(error), 'not the pinned key');
  await server.handshake().catch(() => undefined);
  assert.ok(events.includes('error'), events.join(' '));
  assert.is(events.at(-1), 'COMPLETE');
  assert.not.ok(events.includes('handshake-complete'), events.join(' '));
});

test.run();

test('closed$ asked for only after the close still emits once and completes', async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  await Promise.all([client.handshake(), server.handshake()]);
  await Promise.all([client.close(), server.close()]);
  const heard = await lastValueFrom(client.closed$.pipe(toArray()));
  assert.equal(heard, [undefined]);
});

test("the owner's close hook runs once, before closed$'s subscribers, and at once on a closed stream", async () => {
  const reactor = new Reactor();
  const { client, server } = securePair(reactor);
  const order: string[] = [];
  client.closed$.subscribe(() => order.push('closed$'));
  client[WHEN_CLOSED](() => order.push('hook'));
  await Promise.all([client.handshake(), server.handshake()]);
  await Promise.all([client.close(), server.close()]);
  assert.equal(order, ['hook', 'closed$']);
  let late = 0;
  client[WHEN_CLOSED](() => {
    late += 1;
  });
  assert.is(late, 1);
});
