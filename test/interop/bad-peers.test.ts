/**
 * Misbehaving peers over real TCP on 127.0.0.1: an HTTP client on the TLS port, peers that close
 * mid-handshake. Each failure is the SSLError Python reports, and the listener's context goes on
 * serving the next connection.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLEOFError, SSLError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import { Peers, pythonResult, startPythonClient } from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';
import { connectDriver, DriverListener, type SocketDriver } from '../helpers/socket-driver.js';

const test = suite('misbehaving peers over TCP');
const peers = new Peers();
const cleanups: (() => Promise<void>)[] = [];

test.after(async () => {
  // Last started, first stopped: a server closes only after its connections did.
  for (const cleanup of cleanups.reverse()) await cleanup();
  await peers.stopAll();
});
const pki = usePki(test);

function serverContext(): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER, { engine: 'node' });
  ctx.loadCertChain(pki.path('server'), pki.path('server-key'));
  return ctx;
}

async function listen(ctx: SSLContext): Promise<[number, DriverListener]> {
  const listener = new DriverListener(() =>
    ctx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true }),
  );
  cleanups.push(() => listener.close());
  return [await listener.listen(), listener];
}

/** A raw TCP client; resolves once connected. */
function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
    cleanups.push(async () => {
      socket.destroy();
    });
  });
}

async function handshakeError(driver: SocketDriver): Promise<SSLError> {
  try {
    await driver.driveHandshake();
  } catch (error) {
    if (error instanceof SSLError) return error;
    throw error;
  }
  throw new Error('the handshake unexpectedly succeeded');
}

test('an HTTP request on the TLS port fails with HTTP_REQUEST, and the next client is served', async () => {
  const ctx = serverContext();
  const [port, listener] = await listen(ctx);
  const http = await rawClient(port);
  const closed = new Promise<void>((resolve) => http.once('close', () => resolve()));
  http.on('data', () => undefined);
  http.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const driver = await listener.next();
  const error = await handshakeError(driver);
  // The reason Python's SSLObject reports for these bytes (see transport/bad-input.test.ts).
  assert.is(error.reason, 'HTTP_REQUEST');
  await driver.end();
  await closed;

  const client = startPythonClient(peers, port, { cafile: pki.path('ca'), message: 'again\n' });
  const second = await listener.next();
  await second.driveHandshake();
  assert.is((await second.readUntil(6)).toString(), 'again\n');
  await second.writeAll(Buffer.from('served\n'));
  await second.close();
  const result = await pythonResult(client);
  assert.ok(result.ok, JSON.stringify(result));
  assert.is(result.received, 'served\n');
});

test('a client that sends half a ClientHello and closes gives the server SSLEOFError', async () => {
  const [port, listener] = await listen(serverContext());
  // A real ClientHello, from an rxtls client over a scratch server that only records it.
  const hello = await firstFlight();
  const raw = await rawClient(port);
  raw.end(hello.subarray(0, hello.length >> 1));
  const driver = await listener.next();
  const error = await handshakeError(driver);
  assert.instance(error, SSLEOFError);
  assert.is(error.reason, 'UNEXPECTED_EOF_WHILE_READING');
});

test('a server that reads the ClientHello and closes gives the rxtls client SSLEOFError', async () => {
  const hello = await firstFlight();
  assert.is(hello[0], 0x16, 'a handshake record');
});

/**
 * Starts an rxtls client against a TCP server that reads the ClientHello and closes; returns the
 * ClientHello after checking that the client failed with SSLEOFError.
 */
async function firstFlight(): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const server: Server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const length = received.length >= 5 ? 5 + received.readUInt16BE(3) : Number.POSITIVE_INFINITY;
      if (received.length >= length) socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT, { engine: 'node' });
  ctx.loadVerifyLocations({ cafile: pki.path('ca') });
  const sslobj = ctx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
  const driver = await connectDriver(port, sslobj);
  cleanups.push(() => driver.end());
  const error = await handshakeError(driver);
  assert.instance(error, SSLEOFError);
  await driver.end();
  return received;
}

test.run();
