/**
 * The addon's TCP sockets on 127.0.0.1: as a plain Transport (bytes both ways, half-close,
 * backpressure, the errors Node's net reports), and under secure streams: with the native engine
 * the fused path (ciphertext never in JavaScript), including a STARTTLS downgrade that reads the
 * plaintext following the peer's close_notify; with the node engine an ordinary transport.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SSLContext } from '../../../../src/context/ssl-context.js';
import { connect, startTls } from '../../../../src/endpoints/connect.js';
import { createServer } from '../../../../src/endpoints/server.js';
import {
  NativeTcpListener,
  NativeTcpTransport,
} from '../../../../src/transport/engines/native/native-tcp.js';
import { nativeEngineAvailable } from '../../../../src/transport/engines/native/native-engine.js';
import { Reactor } from '../../../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../../../src/transport/stream/ssl-socket.js';
import type { Transport } from '../../../../src/transport/transport.js';
import { useContextPair } from '../../../helpers/pki.js';
import { ByteSource, digestOf, pump, sha256, writeSplit } from '../../../helpers/streams.js';
import { rejectionOf } from '../../../helpers/assert-error.js';

const fixture = useContextPair(test);

/** A listener on 127.0.0.1:0 whose accepted transports arrive through `accepted()`. */
function listen(): {
  listener: NativeTcpListener;
  port: number;
  accepted: () => Promise<NativeTcpTransport>;
} {
  const waiting: ((t: NativeTcpTransport) => void)[] = [];
  const early: NativeTcpTransport[] = [];
  const listener = NativeTcpListener.listen('127.0.0.1', 0, (transport) => {
    const next = waiting.shift();
    if (next) next(transport);
    else early.push(transport);
  });
  const port = listener.address()?.port ?? 0;
  const accepted = () =>
    new Promise<NativeTcpTransport>((resolve) => {
      const ready = early.shift();
      if (ready) resolve(ready);
      else waiting.push(resolve);
    });
  return { listener, port, accepted };
}

const closed = (transport: Transport) =>
  firstValueFrom(transport.closed$, { defaultValue: undefined });

test('plain bytes both ways: echo of 1 MiB in random splits, then half-close and close', async () => {
  if (!nativeEngineAvailable()) return;
  const { listener, port, accepted } = listen();
  const client = await NativeTcpTransport.connect({ host: 'localhost', port });
  const server = await accepted();
  assert.equal(server.localAddress, { address: '127.0.0.1', family: 'IPv4', port });
  assert.equal(client.remoteAddress, { address: '127.0.0.1', family: 'IPv4', port });
  assert.is(server.remoteAddress?.port, client.localAddress?.port);
  // The server echoes with backpressure and ends its side when the client has ended its own.
  server.data$.subscribe({
    next: (chunk) => {
      if (!server.write(chunk)) server.pause();
    },
    complete: () => server.end(),
  });
  server.writable$.subscribe(() => server.resume());
  const payload = randomBytes(1024 * 1024);
  const echoed = digestOf(client);
  await writeSplit(client, payload);
  client.end();
  const digest = await echoed;
  assert.is(digest.bytes, payload.length);
  assert.is(digest.sha256, sha256(payload));
  client.destroy();
  server.destroy();
  await Promise.all([closed(client), closed(server), listener.close()]);
  assert.is(client.write(Buffer.from('late')), false);
});

test('a paused reader holds the sender back; resume delivers every byte', async () => {
  if (!nativeEngineAvailable()) return;
  const { listener, port, accepted } = listen();
  const client = await NativeTcpTransport.connect({ host: '127.0.0.1', port });
  const server = await accepted();
  server.pause();
  const received = digestOf(server);
  const chunk = randomBytes(256 * 1024);
  let written = 0;
  const sent: Buffer[] = [];
  // Bounded: the kernel's buffers fill long before 64 MiB.
  while (written < 64 * 1024 * 1024 && client.write(chunk)) {
    sent.push(chunk);
    written += chunk.length;
  }
  sent.push(chunk);
  assert.ok(written < 64 * 1024 * 1024, 'write() never reported backpressure');
  const drained = firstValueFrom(client.writable$);
  server.resume();
  await drained;
  client.end();
  const digest = await received;
  assert.is(digest.bytes, written + chunk.length);
  assert.is(digest.sha256, sha256(Buffer.concat(sent)));
  server.destroy();
  client.destroy();
  await Promise.all([closed(client), closed(server), listener.close()]);
});

test("errors are Node's: ECONNREFUSED, EADDRINUSE, ECONNRESET; data$ has one consumer", async () => {
  if (!nativeEngineAvailable()) return;
  const { listener, port, accepted } = listen();
  const busy = (() => {
    try {
      NativeTcpListener.listen('127.0.0.1', port, () => undefined);
    } catch (error) {
      return error as NodeJS.ErrnoException;
    }
    return undefined;
  })();
  assert.is(busy?.code, 'EADDRINUSE');
  assert.match(
    String(busy?.message),
    `listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
  );

  const client = await NativeTcpTransport.connect({ host: '127.0.0.1', port });
  const server = await accepted();
  const reset = rejectionOf(lastValueFrom(client.data$.pipe(toArray())));
  const second = await rejectionOf(lastValueFrom(client.data$));
  assert.match(String(second), 'has one consumer at a time');
  // A reset: the server aborts with an error, which sends RST instead of FIN.
  server.destroy(new Error('abort'));
  const error = (await reset) as NodeJS.ErrnoException;
  assert.is(error.code, 'ECONNRESET');
  assert.is(error.message, 'read ECONNRESET');
  await Promise.all([closed(client), closed(server)]);
  await listener.close();

  const refused = (await rejectionOf(
    NativeTcpTransport.connect({ host: '127.0.0.1', port }),
  )) as NodeJS.ErrnoException;
  assert.is(refused.code, 'ECONNREFUSED');
});

async function tlsServer(onSocket: (socket: SSLSocket<SSLContext>) => void) {
  const reactor = new Reactor();
  const server = createServer({ context: fixture.serverCtx, reactor, tcp: 'native' }, onSocket);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, reactor };
}

test('TLS over native TCP (fused with the native engine): 2 MiB echo, sha256 both ways, clean close', async () => {
  if (!nativeEngineAvailable()) return;
  const { server, port, reactor } = await tlsServer((socket) => {
    socket.data$.subscribe({
      next: (chunk) => {
        if (!socket.write(chunk)) socket.pause();
      },
      complete: () => void socket.close(),
    });
    socket.writable$.subscribe(() => socket.resume());
  });
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const payload = randomBytes(2 * 1024 * 1024);
  const echoed = digestOf(client);
  await writeSplit(client, payload, 70_000);
  await client.close();
  const digest = await echoed;
  assert.is(digest.bytes, payload.length);
  assert.is(digest.sha256, sha256(payload));
  assert.is(client.error, undefined);
  const stats = reactor.stats();
  // The reactor (both ends share it) counts the fused stream's ciphertext too, though it never
  // reached JavaScript: each end saw the payload in and out, plus the records' overhead.
  assert.ok(stats.bytesIn > 2 * payload.length, `bytes in: ${stats.bytesIn}`);
  assert.ok(stats.bytesOut > 2 * payload.length, `bytes out: ${stats.bytesOut}`);
  await server.close({ timeoutMs: 5_000 });
  assert.is(reactor.stats().connections, 0);
});

test('STARTTLS downgrade over native TCP: the plaintext right behind the close_notify is read first', async () => {
  if (!nativeEngineAvailable()) return;
  let downgraded!: (transport: Transport) => void;
  const plaintextTransport = new Promise<Transport>((resolve) => {
    downgraded = resolve;
  });
  let unwrapping!: () => void;
  const serverUnwrapping = new Promise<void>((resolve) => {
    unwrapping = resolve;
  });
  const { server, port, reactor } = await tlsServer((socket) => {
    socket.data$.subscribe({ error: () => undefined });
    void socket.handshake().then(() => {
      void socket.unwrap().then(downgraded);
      unwrapping();
    });
  });
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  await serverUnwrapping;
  // The client's close_notify leaves synchronously; the plaintext follows it on the same TCP.
  const clientDown = client.unwrap();
  client.transport.write(Buffer.from('after the close_notify'));
  const serverPlain = await plaintextTransport;
  const seen = lastValueFrom(serverPlain.data$.pipe(toArray()));
  (await clientDown).end();
  assert.is(Buffer.concat(await seen).toString(), 'after the close_notify');
  serverPlain.destroy();
  await server.close({ timeoutMs: 5_000 });
  assert.is(reactor.stats().connections, 0);
});

test('IPv6 loopback, and the tcp option is checked', async () => {
  if (!nativeEngineAvailable()) return;
  const listener = NativeTcpListener.listen('::1', 0, (transport) => {
    transport.data$.subscribe({
      next: (chunk) => transport.write(chunk),
      complete: () => transport.end(),
    });
  });
  const port = listener.address()?.port ?? 0;
  assert.is(listener.address()?.family, 'IPv6');
  const client = await NativeTcpTransport.connect({ host: '::1', port });
  assert.equal(client.remoteAddress, { address: '::1', family: 'IPv6', port });
  const echoed = lastValueFrom(client.data$.pipe(toArray()));
  client.write(Buffer.from('over IPv6'));
  client.end();
  assert.is(Buffer.concat(await echoed).toString(), 'over IPv6');
  client.destroy();
  await Promise.all([closed(client), listener.close()]);
  assert.is(listener.address(), null);

  assert.throws(
    () => createServer({ context: fixture.serverCtx, tcp: 'quic' as never }),
    /tcp must be 'native' or 'node', got quic/,
  );
  const refused = await rejectionOf(
    connect({ host: '127.0.0.1', port: 1, context: fixture.clientCtx, tcp: 'quic' as never }),
  );
  assert.match(String(refused), "tcp must be 'native' or 'node', got quic");
});

test('a closing stream whose native socket is closed locally finishes at once, not at the shutdown timeout', async () => {
  if (!nativeEngineAvailable()) return;
  const reactor = new Reactor();
  const server = createServer(
    { context: fixture.serverCtx, reactor, tcp: 'native', shutdownTimeoutMs: 60_000 },
    () => undefined,
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const accepted = firstValueFrom(server.connections$);
  // A client that never answers close_notify: it does not read at all.
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const serverSide = await accepted;
  await serverSide.handshake();
  void serverSide.close();
  assert.is(serverSide.state, 'closing');
  serverSide.transport.destroy();
  await firstValueFrom(serverSide.closed$);
  // Ended by the transport's close, not by TLSTimeoutError after 60 s.
  assert.is(serverSide.error, undefined);
  client.abort();
  await server.close({ timeoutMs: 1_000 });
  assert.is(reactor.stats().connections, 0);
});

test('a worker that exits with native sockets open ends cleanly, and this process goes on', async () => {
  if (!nativeEngineAvailable()) return;
  const moduleUrl = new URL(
    '../../../../src/transport/engines/native/native-tcp.js',
    import.meta.url,
  ).href;
  const worker = new Worker(
    `import(${JSON.stringify(moduleUrl)}).then(async ({ NativeTcpListener, NativeTcpTransport }) => {
      const listener = NativeTcpListener.listen('127.0.0.1', 0, () => undefined);
      const client = await NativeTcpTransport.connect({ host: '127.0.0.1', port: listener.address().port });
      client.write(Buffer.alloc(1024));
      process.exit(0);
    });`,
    { eval: true },
  );
  const code = await new Promise<number>((resolve, reject) => {
    worker.once('exit', resolve);
    worker.once('error', reject);
  });
  assert.is(code, 0);
});

/** Fails instead of hanging when `promise` takes longer than a loaded machine ever needs. */
function within<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

test('STARTTLS on a native socket whose plaintext reader paused it: the handshake still runs', async () => {
  if (!nativeEngineAvailable()) return;
  const reactor = new Reactor();
  let serverTls!: Promise<SSLSocket<SSLContext>>;
  let accepted!: () => void;
  const ready = new Promise<void>((resolve) => {
    accepted = resolve;
  });
  const listener = NativeTcpListener.listen('127.0.0.1', 0, (transport) => {
    const command = transport.data$.subscribe((chunk) => {
      if (!Buffer.from(chunk).toString().includes('STARTTLS')) return;
      // The usual plaintext reader: it stops at the command so no TLS byte reaches it.
      transport.pause();
      queueMicrotask(() => {
        command.unsubscribe();
        transport.write(Buffer.from('OK\n'));
        serverTls = startTls(transport, fixture.serverCtx, { serverSide: true, reactor });
        accepted();
      });
    });
  });
  const tcp = await NativeTcpTransport.connect({
    host: '127.0.0.1',
    port: listener.address()?.port ?? 0,
  });
  const ok = new Promise<void>((resolve) => {
    const answer = tcp.data$.subscribe((chunk) => {
      if (!Buffer.from(chunk).toString().includes('OK')) return;
      answer.unsubscribe();
      resolve();
    });
  });
  tcp.write(Buffer.from('STARTTLS\n'));
  await ok;
  await ready;
  const client = await within(
    startTls(tcp, fixture.clientCtx, { serverHostname: 'localhost', reactor }),
    'the STARTTLS handshake',
  );
  const server = await serverTls;
  assert.is(server.version(), client.version());
  client.abort();
  server.abort();
  await listener.close();
});

test('unwrap() after the peer sent more plaintext than the stream buffers: every byte arrives', async () => {
  if (!nativeEngineAvailable()) return;
  let serverSide!: SSLSocket<SSLContext>;
  const { server, port, reactor } = await tlsServer((socket) => {
    serverSide = socket;
    // Our close_notify waits for unwrap(): the peer's alone must not close the stream.
    socket.closeOnPeerEnd = false;
  });
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  await serverSide.handshake();
  const peerEnded = new Promise<void>((resolve) => {
    serverSide.data$.subscribe({ complete: resolve });
  });
  const clientDown = client.unwrap();
  await peerEnded;
  // Plaintext after the close_notify, more than the server's stream buffers: it stops reading.
  const source = new ByteSource(8 * 1024 * 1024);
  const sending = pump(source, client.transport).then(() => client.transport);
  const before = reactor.stats().bytesIn;
  // Bounded wait (each turn lets I/O run) until the server holds its high-water mark (64 KiB):
  // from then on its transport is paused.
  for (let turn = 0; turn < 1_000_000 && reactor.stats().bytesIn < before + 64 * 1024; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  assert.ok(reactor.stats().bytesIn >= before + 64 * 1024, 'the plaintext never arrived');
  const plain = await serverSide.unwrap();
  const received = digestOf(plain);
  await within(clientDown, "the client's unwrap");
  (await within(sending, 'the plaintext upload')).end();
  const digest = await within(received, 'the plaintext after unwrap');
  assert.is(digest.bytes, source.total);
  assert.is(digest.sha256, source.digest());
  plain.destroy();
  await server.close({ timeoutMs: 5_000 });
  assert.is(reactor.stats().connections, 0);
});

test.run();
