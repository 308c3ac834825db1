/**
 * A server's limits against clients that open connections and stall (README, Limits under
 * attack): handshake slots and their queue, connections per client address, the handshake
 * deadline against a dribbled ClientHello, and garbage or an oversized ClientHello. Raw TCP
 * clients on 127.0.0.1, a real established TLS connection beside them.
 */
import net from 'node:net';
import tls from 'node:tls';
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDefaultContext } from '../../src/context/default-context.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { PROTOCOL_TLS_SERVER, Purpose } from '../../src/constants/ssl-constants.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer, type Server, type ServerOptions } from '../../src/endpoints/server.js';
import { SSLError, TLSTimeoutError, ValueError } from '../../src/errors/errors.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { rejectionOf, throwsA } from '../helpers/assert-error.js';
import { usePki } from '../helpers/pki.js';
import { echo } from '../helpers/streams.js';

const pki = usePki(test);
let serverCtx: SSLContext;
let clientCtx: SSLContext;

test.before(() => {
  serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(pki.path('server-combined'));
  clientCtx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
});

/** A server echoing on every connection, and every connection's stream as it is made. */
async function startServer(
  options: Partial<ServerOptions>,
): Promise<{ server: Server; port: number; streams: SSLSocket<unknown>[] }> {
  const streams: SSLSocket<unknown>[] = [];
  const server = createServer({ context: serverCtx, reactor: new Reactor(), ...options }, (s) => {
    streams.push(s as SSLSocket<unknown>);
    echo(s as SSLSocket<unknown>);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, streams };
}

/** A raw TCP client, connected. */
function rawClient(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closedByPeer(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    // Read (and drop) what the server sends, so that its close is seen.
    socket.resume();
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

/** Resolves once `count` of `sockets` have been closed by the server. */
function closedCount(sockets: net.Socket[], count: number): Promise<void> {
  let closed = 0;
  return new Promise((resolve) => {
    for (const socket of sockets) {
      void closedByPeer(socket).then(() => {
        closed += 1;
        if (closed === count) resolve();
      });
    }
  });
}

/** One message through an established rxtls connection and back. */
async function echoes(socket: SSLSocket<unknown>, text: string): Promise<string> {
  const back = firstValueFrom(socket.data$);
  socket.write(Buffer.from(text));
  return Buffer.from(await back).toString();
}

/** The first flight of a real node:tls client: a complete ClientHello. */
async function realClientHello(): Promise<Buffer> {
  const capture = net.createServer();
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const { port } = capture.address() as net.AddressInfo;
  const hello = new Promise<Buffer>((resolve) =>
    capture.once('connection', (s) => s.once('data', (chunk: Buffer) => resolve(chunk))),
  );
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost' });
  client.on('error', () => undefined);
  const bytes = await hello;
  client.destroy();
  await new Promise<void>((resolve) => capture.close(() => resolve()));
  return bytes;
}

test('a flood of stalled connections: a bounded number hold handshake slots, the next wait, the rest are refused; an established connection keeps echoing', async () => {
  const { server, port } = await startServer({ maxHandshakes: 2, handshakeQueue: 3 });
  const established = await connect({ host: 'localhost', port, context: clientCtx });
  const flood = await Promise.all(Array.from({ length: 10 }, () => rawClient(port)));
  // 2 hold slots and 3 wait, silent: the 5 others are closed by the server.
  await closedCount(flood, 5);
  const stats = server.stats();
  assert.is(stats.handshakesInFlight, 2);
  assert.is(stats.handshakesQueued, 3);
  assert.is(stats.handshakesDeferred, 3);
  assert.is(stats.handshakesRefused, 5);
  assert.is(await echoes(established as SSLSocket<unknown>, 'still served'), 'still served');
  // The stalled clients give up: their slots go to the waiting ones, then to a real client.
  for (const socket of flood) socket.destroy();
  const late = await connect({ host: 'localhost', port, context: clientCtx });
  assert.is(await echoes(late as SSLSocket<unknown>, 'late'), 'late');
  assert.is(server.stats().handshakesRefused, 5);
  await late.close();
  await established.close();
  await server.close({ timeoutMs: 5_000 });
  assert.is(server.stats().handshakesQueued, 0);
});

test('connections waiting for a slot past the handshake deadline are refused', async () => {
  const { server, port } = await startServer({
    maxHandshakes: 1,
    handshakeQueue: 4,
    handshakeTimeoutMs: 300,
  });
  // The holder's deadline expires first and its slot goes to the first waiter; the second
  // waiter's wait expires while that one holds the slot.
  const clients = [await rawClient(port), await rawClient(port), await rawClient(port)];
  await Promise.all(clients.map(closedByPeer));
  assert.is(server.stats().handshakesRefused, 1);
  assert.is(server.stats().handshakesDeferred, 2);
  assert.is(server.stats().handshakesFailed, 2);
  await server.close({ timeoutMs: 5_000 });
});

test('maxConnectionsPerAddress closes connections beyond the limit from one address', async () => {
  const { server, port, streams } = await startServer({ maxConnectionsPerAddress: 2 });
  const first = await connect({ host: 'localhost', port, context: clientCtx });
  const second = await rawClient(port);
  const third = await rawClient(port);
  await closedByPeer(third);
  assert.is(server.stats().connectionsRefusedPerAddress, 1);
  // A connection that ends gives its place back.
  second.destroy();
  await firstValueFrom((streams[1] as SSLSocket<unknown>).closed$);
  const again = await connect({ host: 'localhost', port, context: clientCtx });
  assert.is(await echoes(again as SSLSocket<unknown>, 'x'), 'x');
  await again.close();
  await first.close();
  await server.close({ timeoutMs: 5_000 });
});

test('a client that stops in the middle of its ClientHello is cut off at the handshake deadline', async () => {
  const { server, port, streams } = await startServer({ handshakeTimeoutMs: 300 });
  const hello = await realClientHello();
  const client = await rawClient(port);
  client.write(hello.subarray(0, hello.length >> 1));
  await closedByPeer(client);
  const error = await rejectionOf((streams[0] as SSLSocket<unknown>).handshake());
  assert.instance(error, TLSTimeoutError);
  assert.is((error as TLSTimeoutError).phase, 'handshake');
  assert.is(server.stats().handshakesFailed, 1);
  await server.close({ timeoutMs: 5_000 });
});

test('garbage instead of a ClientHello fails at once with an SSLError', async () => {
  const { server, port, streams } = await startServer({});
  const client = await rawClient(port);
  client.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await closedByPeer(client);
  const error = await rejectionOf((streams[0] as SSLSocket<unknown>).handshake());
  assert.instance(error, SSLError);
  await server.close({ timeoutMs: 5_000 });
});

test('a ClientHello announcing more than OpenSSL accepts fails at its header', async () => {
  const { server, port, streams } = await startServer({});
  const client = await rawClient(port);
  // One handshake record whose ClientHello header announces 16 MiB - 1 bytes.
  const body = Buffer.from([0x01, 0xff, 0xff, 0xff, 0x03, 0x03]);
  const record = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, body.length]), body]);
  client.write(record);
  await closedByPeer(client);
  const error = await rejectionOf((streams[0] as SSLSocket<unknown>).handshake());
  assert.instance(error, SSLError);
  assert.not.instance(error, TLSTimeoutError);
  await server.close({ timeoutMs: 5_000 });
});

test('limit options are checked', () => {
  throwsA(
    () => createServer({ context: serverCtx, maxHandshakes: 0 }),
    ValueError,
    /maxHandshakes/,
  );
  throwsA(
    () => createServer({ context: serverCtx, handshakeQueue: -1 }),
    ValueError,
    /handshakeQueue/,
  );
  throwsA(
    () => createServer({ context: serverCtx, maxConnectionsPerAddress: 1.5 }),
    ValueError,
    /maxConnectionsPerAddress/,
  );
});

test.run();
