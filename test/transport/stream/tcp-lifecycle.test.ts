/**
 * The life of secure streams over real TCP on 127.0.0.1: close_notify both ways, ragged EOFs,
 * half-close, abort, the idle and handshake timeouts (slowloris, half a ClientHello), a client
 * that never reads, graceful reactor shutdown, and the TCP close after a fatal alert.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../../src/context/ssl-context.js';
import { connect } from '../../../src/endpoints/connect.js';
import { createServer, type Server, type ServerOptions } from '../../../src/endpoints/server.js';
import { PROTOCOL_TLS_CLIENT, TLSVersion } from '../../../src/constants/ssl-constants.js';
import {
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  TLSTimeoutError,
} from '../../../src/errors/errors.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../../src/transport/stream/ssl-socket.js';
import { useContextPair } from '../../helpers/pki.js';
import { digestOf, echo, sha256, writeSplit } from '../../helpers/streams.js';
import { TcpRelay } from '../../helpers/tcp-relay.js';
import { rejectionOf } from '../../helpers/assert-error.js';

const fixture = useContextPair(test);

type Stream = SSLSocket<SSLContext>;

/** A server on 127.0.0.1:0 with its own reactor; `handle` gets each connection. */
async function serve(
  handle: (socket: Stream) => void,
  options: Partial<ServerOptions> = {},
): Promise<{ server: Server; port: number; reactor: Reactor }> {
  const reactor = new Reactor();
  const server = createServer({ context: fixture.serverCtx, reactor, ...options }, handle);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, reactor };
}

const nextConnection = (server: Server): Promise<Stream> => firstValueFrom(server.connections$);

const rawConnect = (port: number): Promise<net.Socket> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => undefined);
  });

const closedOf = (socket: net.Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });

/** A round trip with a fresh client: the server is still serving. */
async function stillServes(port: number, reactor: Reactor): Promise<void> {
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const back = digestOf(client);
  const payload = randomBytes(256 * 1024);
  await writeSplit(client, payload);
  client.end();
  assert.is((await back).sha256, sha256(payload));
}

test('close_notify goes both ways over TCP whichever side closes first', async () => {
  for (const first of ['client', 'server'] as const) {
    const { server, port, reactor } = await serve(() => undefined, { suppressRaggedEofs: false });
    const accepted = nextConnection(server);
    const client = await connect({
      host: 'localhost',
      port,
      context: fixture.clientCtx,
      reactor,
      suppressRaggedEofs: false,
    });
    const serverSide = await accepted;
    await serverSide.handshake();
    // Without ragged EOFs suppressed, only a close_notify completes data$ (an EOF errors it).
    const serverGot = digestOf(serverSide);
    const clientGot = digestOf(client);
    client.write('from the client');
    serverSide.write('from the server');
    const closer = first === 'client' ? client : serverSide;
    await closer.close();
    assert.is((await serverGot).bytes, 'from the client'.length, first);
    assert.is((await clientGot).bytes, 'from the server'.length, first);
    await Promise.all([firstValueFrom(client.closed$), firstValueFrom(serverSide.closed$)]);
    assert.is(client.error, undefined);
    assert.is(serverSide.error, undefined);
    await server.close({ timeoutMs: 1_000 });
    assert.is(reactor.stats().connections, 0);
  }
});

test('a ragged EOF over TCP completes data$ when suppressed and is SSLEOFError when not', async () => {
  for (const suppressRaggedEofs of [true, false]) {
    const { server, port, reactor } = await serve(() => undefined, { suppressRaggedEofs });
    const accepted = nextConnection(server);
    const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
    const serverSide = await accepted;
    await serverSide.handshake();
    const received = digestOf(serverSide);
    client.write('last words');
    // The client's TCP goes away without close_notify once its data is out.
    client.transport.end();
    if (suppressRaggedEofs) {
      assert.is((await received).bytes, 'last words'.length);
    } else {
      const error = await rejectionOf(received);
      assert.instance(error, SSLEOFError);
    }
    await firstValueFrom(serverSide.closed$);
    client.abort();
    await server.close({ timeoutMs: 1_000 });
    assert.is(reactor.stats().connections, 0);
  }
});

test('half-close: after the client end()s, the server still sends and the client receives it', async () => {
  const { server, port, reactor } = await serve((socket) => {
    const chunks: Uint8Array[] = [];
    socket.data$.subscribe({
      next: (chunk) => chunks.push(chunk),
      // The client's close_notify arrived; the answer still goes out before ours.
      complete: () => socket.write(Buffer.concat([Buffer.from('got: '), ...chunks])),
    });
  });
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const got = digestOf(client);
  client.write('question');
  client.end();
  assert.is(client.state === 'flushing' || client.state === 'closing', true);
  const digest = await got;
  assert.is(digest.sha256, sha256(Buffer.from('got: question')));
  await firstValueFrom(client.closed$);
  assert.is(client.error, undefined);
  await server.close({ timeoutMs: 1_000 });
});

test('abort over TCP closes at once without close_notify; the server ends and goes on', async () => {
  const { server, port, reactor } = await serve(echo);
  const accepted = nextConnection(server);
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const serverSide = await accepted;
  await serverSide.handshake();
  client.abort();
  assert.is(client.state, 'closed');
  await firstValueFrom(serverSide.closed$);
  await stillServes(port, reactor);
  await server.close({ timeoutMs: 1_000 });
  assert.is(reactor.stats().connections, 0);
});

test('an idle connection over TCP ends with TLSTimeoutError(idle) and the client sees the close', async () => {
  const { server, port, reactor } = await serve(() => undefined, { idleTimeoutMs: 150 });
  const accepted = nextConnection(server);
  const client = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  const serverSide = await accepted;
  const error = await rejectionOf(digestOf(serverSide));
  assert.instance(error, TLSTimeoutError);
  assert.is((error as TLSTimeoutError).phase, 'idle');
  await firstValueFrom(client.closed$);
  await server.close({ timeoutMs: 1_000 });
});

/** A ClientHello as Node's TLS client sends it, read by a TCP server that then hangs up. */
async function clientHello(): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const recorder = net.createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 5 && received.length >= 5 + received.readUInt16BE(3)) {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  const { port } = recorder.address() as net.AddressInfo;
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost' });
  await new Promise((resolve) => client.once('error', resolve));
  await new Promise<void>((resolve) => recorder.close(() => resolve()));
  return received;
}

test('handshake timeouts over TCP: a client sending nothing, a client stopping mid-ClientHello', async () => {
  const hello = await clientHello();
  assert.is(hello[0], 0x16);
  const { server, port, reactor } = await serve(echo, { handshakeTimeoutMs: 300 });
  for (const sends of [Buffer.alloc(0), hello.subarray(0, hello.length >> 1)]) {
    const accepted = nextConnection(server);
    const raw = await rawConnect(port);
    raw.write(sends);
    raw.resume();
    const serverSide = await accepted;
    const error = await rejectionOf(serverSide.handshake());
    assert.instance(error, TLSTimeoutError);
    assert.is((error as TLSTimeoutError).code, 'ERR_RXTLS_HANDSHAKE_TIMEOUT');
    await closedOf(raw); // rxtls closed the TCP connection
    await stillServes(port, reactor);
  }
  assert.is(reactor.stats().handshakesFailed, 2);
  await server.close({ timeoutMs: 1_000 });
});

test('a client that never reads: the server write() returns false, memory stays bounded, others are served', async () => {
  const chunk = randomBytes(64 * 1024);
  let written = 0;
  let blocked = false;
  let first = true;
  const { server, port, reactor } = await serve((socket) => {
    if (!first) return echo(socket);
    first = false;
    void (async () => {
      await socket.handshake();
      while (socket.state === 'open') {
        written += chunk.length;
        if (!socket.write(chunk)) {
          blocked = true;
          await firstValueFrom(socket.writable$).catch(() => undefined);
          blocked = false;
        }
      }
    })().catch(() => undefined);
  });
  const sleeper = await connect({ host: 'localhost', port, context: fixture.clientCtx, reactor });
  // It never subscribes to data$: once its buffers fill, it stops reading TCP altogether.
  for (let i = 0; i < 4; i++) await stillServes(port, reactor);
  const usage = process.memoryUsage();
  assert.ok(blocked, 'the writer is waiting for writable$');
  assert.ok(written < 32 * 1024 * 1024, `${written} bytes accepted by write()`);
  assert.ok(usage.heapUsed + usage.arrayBuffers < 256 * 1024 * 1024);
  sleeper.abort();
  await server.close({ timeoutMs: 1_000 });
  assert.is(reactor.stats().connections, 0);
});

test('reactor.shutdown over TCP sends close_notify to every peer and closes the ones that do not answer', async () => {
  const serverReactor = new Reactor();
  const server = createServer({ context: fixture.serverCtx, reactor: serverReactor }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  const reactor = new Reactor();
  const options = { host: 'localhost', port, context: fixture.clientCtx, reactor };
  const accepted = lastValueFrom(server.connections$.pipe(take(6), toArray()));
  const clients = await Promise.all(
    Array.from({ length: 5 }, () => connect({ ...options, suppressRaggedEofs: false })),
  );
  // Only a close_notify completes these without error.
  const ends = clients.map((client) => digestOf(client));
  // A peer that never reads never sees the close_notify, so never answers it.
  const deaf = await connect(options);
  deaf.pause();
  await Promise.all((await accepted).map((s) => s.handshake()));
  const started = Date.now();
  await serverReactor.shutdown({ timeoutMs: 400 });
  for (const end of ends) assert.is((await end).bytes, 0);
  assert.ok(Date.now() - started >= 390, 'waited for the deaf peer up to the timeout');
  assert.is(serverReactor.stats().connections, 0);
  // Once it reads again it sees the close_notify, then the TCP close, and closes too.
  deaf.resume();
  await firstValueFrom(deaf.closed$);
  await server.close({ timeoutMs: 100 });
  await reactor.shutdown({ timeoutMs: 100 });
});

test('a garbage record after the handshake: the server sends its alert, then closes TCP', async () => {
  const { server, port, reactor } = await serve(echo);
  const relay = new TcpRelay(port);
  await relay.listen();
  const accepted = nextConnection(server);
  const client = await connect({
    host: 'localhost',
    port: relay.port,
    context: fixture.clientCtx,
    reactor,
  });
  const clientEnd = rejectionOf(digestOf(client));
  const serverSide = await accepted;
  await serverSide.handshake();
  const conn = await relay.connection();
  const before = conn.down.bytes.length;
  const garbage = Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x40]), randomBytes(64)]);
  conn.server.write(garbage);
  await conn.down.end;
  const after = conn.down.bytes.subarray(before);
  assert.ok(after.length >= 7, 'a record came back before the close');
  assert.ok(after[0] === 0x15 || after[0] === 0x17, `record type ${after[0]}`);
  assert.instance(serverSide.error, SSLError);
  const seen = await clientEnd;
  assert.instance(seen, SSLError);
  assert.match((seen as SSLError).reason ?? '', /ALERT/);
  await relay.close();
  await server.close({ timeoutMs: 500 });
  await reactor.shutdown({ timeoutMs: 100 });
});

/** The node:tls engine judges certificates after OpenSSL finished: it cannot send an alert. */
const NODE_ENGINE = process.env.RXTLS_ENGINE === 'node';

test('a failed verification: the client sends its alert (native engine), then closes TCP', async () => {
  for (const version of [TLSVersion.TLSv1_2, TLSVersion.TLSv1_3]) {
    const { server, port, reactor } = await serve(echo);
    const relay = new TcpRelay(port);
    await relay.listen();
    const strict = new SSLContext(PROTOCOL_TLS_CLIENT);
    strict.loadVerifyLocations({ cafile: fixture.pki.path('otherCa') });
    strict.maximumVersion = version;
    const accepted = nextConnection(server);
    const error = await rejectionOf(
      connect({ host: 'localhost', port: relay.port, context: strict, reactor }),
    );
    assert.instance(error, SSLCertVerificationError);
    const conn = await relay.connection();
    await conn.up.end; // the client closed TCP
    const serverSide = await accepted;
    await firstValueFrom(serverSide.closed$);
    if (NODE_ENGINE) {
      // Node verifies once OpenSSL is done: the server sees a bare EOF (during or after its
      // handshake), never an alert.
      const seen = serverSide.error;
      assert.ok(seen === undefined || seen instanceof SSLEOFError, String(seen));
    } else {
      assert.instance(serverSide.error, SSLError);
      assert.is((serverSide.error as SSLError).reason, 'TLSV1_ALERT_UNKNOWN_CA');
      if (version === TLSVersion.TLSv1_2) {
        // A plaintext fatal unknown_ca alert is the last thing before the FIN.
        const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x30]);
        assert.equal(conn.up.bytes.subarray(-alert.length), alert);
      }
    }
    await relay.close();
    await server.close({ timeoutMs: 500 });
  }
});

test.run();
