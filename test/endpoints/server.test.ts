import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDefaultContext } from '../../src/context/default-context.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect, getServerCertificate, startTls } from '../../src/endpoints/connect.js';
import { toNodeDuplex } from '../../src/protocol/node-duplex.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER, Purpose } from '../../src/constants/ssl-constants.js';
import { SSLCertVerificationError, SSLError } from '../../src/errors/errors.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { usePki } from '../helpers/pki.js';
import { echo, sha256 } from '../helpers/streams.js';

const run = promisify(execFile);
const pki = usePki(test);
let serverCtx: SSLContext;
let clientCtx: SSLContext;

test.before(() => {
  serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(pki.path('server-combined'));
  clientCtx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
});

async function echoServer(
  reactor: Reactor,
  extra: { maxConnections?: number } = {},
): Promise<[Server, number]> {
  const server = createServer({ context: serverCtx, reactor, ...extra }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  return [server, port];
}

async function roundTrip(port: number, payload: Buffer, reactor: Reactor): Promise<Buffer> {
  const socket = await connect({ host: 'localhost', port, context: clientCtx, reactor });
  const back = lastValueFrom(socket.data$.pipe(toArray()));
  let offset = 0;
  while (offset < payload.length) {
    const end = Math.min(payload.length, offset + 32 * 1024);
    const ok = socket.write(payload.subarray(offset, end));
    offset = end;
    if (!ok) await firstValueFrom(socket.writable$);
  }
  socket.end();
  return Buffer.concat(await back);
}

test('connect and createServer echo data over TCP; close() stops accepting and shuts down', async () => {
  const reactor = new Reactor();
  const [server, port] = await echoServer(reactor);
  const payload = randomBytes(256 * 1024);
  const back = await roundTrip(port, payload, reactor);
  assert.is(sha256(back), sha256(payload));
  await server.close({ timeoutMs: 2_000 });
  let refused: unknown;
  await connect({ host: 'localhost', port, context: clientCtx, reactor }).catch((e: unknown) => {
    refused = e;
  });
  assert.is((refused as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  assert.is(reactor.stats().connections, 0);
});

test('many concurrent connections each echo 64 KiB and close cleanly; stats agree', async () => {
  const reactor = new Reactor();
  const [server, port] = await echoServer(reactor);
  const count = 200;
  const payloads = Array.from({ length: count }, () => randomBytes(64 * 1024));
  const results = await Promise.all(payloads.map((p) => roundTrip(port, p, reactor)));
  results.forEach((back, i) => {
    assert.is(sha256(back), sha256(payloads[i] as Buffer));
  });
  await server.close({ timeoutMs: 5_000 });
  const stats = reactor.stats();
  assert.is(stats.handshakesOk, 2 * count);
  assert.is(stats.handshakesFailed, 0);
  assert.is(stats.connections, 0);
});

test('a server keeps serving others while one client sends garbage or disconnects mid-handshake', async () => {
  const reactor = new Reactor();
  const [server, port] = await echoServer(reactor);
  const garbage = net.connect(port, '127.0.0.1');
  garbage.on('error', () => undefined);
  garbage.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const half = net.connect(port, '127.0.0.1', () =>
    half.end(Buffer.from([0x16, 0x03, 0x01, 0x02])),
  );
  half.on('error', () => undefined);
  const closedGarbage = new Promise((resolve) => garbage.on('close', resolve));
  const back = await roundTrip(port, Buffer.from('still here'), reactor);
  assert.is(back.toString(), 'still here');
  await closedGarbage; // the server closed the garbage connection after its alert
  await server.close({ timeoutMs: 2_000 });
  assert.ok(reactor.stats().handshakesFailed >= 1);
});

test('maxConnections refuses connections beyond the limit', async () => {
  const reactor = new Reactor();
  const [server, port] = await echoServer(reactor, { maxConnections: 1 });
  const first = await connect({ host: 'localhost', port, context: clientCtx, reactor });
  let error: unknown;
  await connect({ host: 'localhost', port, context: clientCtx, reactor, timeoutMs: 5_000 }).catch(
    (e: unknown) => {
      error = e;
    },
  );
  assert.ok(error, 'the second connection fails');
  await first.close();
  await server.close({ timeoutMs: 1_000 });
});

test('getServerCertificate returns the leaf as PEM, verified when caCerts is given', async () => {
  const reactor = new Reactor();
  const [server, port] = await echoServer(reactor);
  const pem = await getServerCertificate(['127.0.0.1', port], { reactor });
  assert.is(pem.replace(/\s/g, ''), pki.server.cert.replace(/\s/g, ''));
  assert.ok(await getServerCertificate(['127.0.0.1', port], { caCerts: pki.path('ca'), reactor }));
  let error: unknown;
  await getServerCertificate(['127.0.0.1', port], { caCerts: pki.path('otherCa'), reactor }).catch(
    (e: unknown) => {
      error = e;
    },
  );
  assert.instance(error, SSLCertVerificationError);
  await server.close({ timeoutMs: 1_000 });
});

test('startTls upgrades a plaintext conversation (SMTP-style) and keeps the stream intact', async () => {
  const reactor = new Reactor();
  const tcp = net.createServer({ pauseOnConnect: true }, (raw) => {
    const plain = new TcpTransport(raw);
    raw.resume();
    raw.write('220 ready\r\n');
    raw.once('data', (line) => {
      if (line.toString() !== 'STARTTLS\r\n') return raw.destroy();
      raw.pause();
      raw.write('220 go ahead\r\n');
      startTls(plain, serverCtx, { serverSide: true, reactor }).then(echo, () => raw.destroy());
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const { port } = tcp.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const lines: string[] = [];
  await new Promise<void>((resolve) =>
    client.on('data', function onData(chunk) {
      lines.push(chunk.toString());
      if (lines.join('').includes('220 ready')) {
        client.off('data', onData);
        client.pause();
        resolve();
      }
    }),
  );
  const transport = new TcpTransport(client);
  const greeting = firstValueFrom(transport.data$);
  transport.write(Buffer.from('STARTTLS\r\n'));
  assert.is(Buffer.from(await greeting).toString(), '220 go ahead\r\n');
  const secure = await startTls(transport, clientCtx, { serverHostname: 'localhost', reactor });
  const back = lastValueFrom(secure.data$.pipe(toArray()));
  secure.write('secret mail');
  secure.end();
  assert.is(Buffer.concat(await back).toString(), 'secret mail');
  await reactor.shutdown({ timeoutMs: 500 });
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
});

test("Node's http server runs over rxtls through toNodeDuplex and answers curl", async () => {
  const reactor = new Reactor();
  const app = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(
      `hello ${req.url} over ${(req.socket as unknown as { encrypted?: boolean }).encrypted ? 'tls' : '?'}`,
    );
  });
  const server = createServer({ context: serverCtx, reactor }, (socket) => {
    socket.handshake().then(
      () => app.emit('connection', toNodeDuplex(socket)),
      () => undefined,
    );
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const { stdout } = await run('curl', [
    '--silent',
    '--show-error',
    '--cacert',
    pki.path('ca'),
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    `https://localhost:${port}/path`,
  ]);
  assert.is(stdout, 'hello /path over tls');
  await server.close({ timeoutMs: 2_000 });
  app.close();
});

test("rxtls interoperates with Node's native tls both ways", async () => {
  const reactor = new Reactor();
  const native = tls.createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => s.pipe(s));
  await new Promise<void>((resolve) => native.listen(0, '127.0.0.1', resolve));
  const nativePort = (native.address() as net.AddressInfo).port;
  const back = await roundTrip(nativePort, Buffer.from('to native and back'), reactor);
  assert.is(back.toString(), 'to native and back');
  await new Promise<void>((resolve) => native.close(() => resolve()));

  const [server, port] = await echoServer(reactor);
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert });
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  client.write('from native');
  client.end();
  const chunks: Buffer[] = [];
  for await (const chunk of client) chunks.push(chunk as Buffer);
  assert.is(Buffer.concat(chunks).toString(), 'from native');
  await server.close({ timeoutMs: 2_000 });
});

test('after a failed verification the client closes the transport and the server sees the failure', async () => {
  const reactor = new Reactor();
  const [server, port] = await echoServer(reactor);
  const strict = createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('otherCa') });
  let error: unknown;
  await connect({ host: 'localhost', port, context: strict, reactor }).catch((e: unknown) => {
    error = e;
  });
  assert.instance(error, SSLCertVerificationError);
  const serverSide = [...server.connections][0];
  if (serverSide) {
    const failure = await serverSide.handshake().then(
      () => serverSide.read(),
      (e: unknown) => e,
    );
    assert.ok(failure instanceof SSLError || Buffer.isBuffer(failure));
  }
  await server.close({ timeoutMs: 1_000 });
});

test.run();
