/**
 * toNodeDuplex (SecureDuplex) as Node's http and http2 see it, over secure streams in memory and
 * inside another TLS stream: slow readers, aborts mid-body, resets, write-then-destroy, and the
 * socket-like surface.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpService } from '../../src/protocol/http/http-service.js';
import { type SecureDuplex, toNodeDuplex } from '../../src/protocol/node-duplex.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { useContextPair } from '../helpers/pki.js';
import { sha256, streamPair } from '../helpers/streams.js';

const fixture = useContextPair(test);

/** How a secure stream ended, as its reader saw it. */
function endOf(socket: SSLSocket<unknown>): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    socket.data$.subscribe({
      next: (chunk) => chunks.push(Buffer.from(chunk)),
      complete: () => resolve(`close_notify:${Buffer.concat(chunks).toString()}`),
      error: (error: Error) => resolve(`${error.name}:${Buffer.concat(chunks).toString()}`),
    });
  });
}

test('bytes written before destroy() reach the peer, then close_notify, as on a net.Socket', async () => {
  const { client, server } = await streamPair(fixture, new Reactor(), {
    client: { suppressRaggedEofs: false },
  });
  const heard = endOf(client);
  const duplex = toNodeDuplex(server);
  // Node's http server answers a bad request so: write, then destroy with the parse error.
  duplex.write('HTTP/1.1 400 Bad Request\r\n');
  duplex.write('Connection: close\r\n\r\n');
  duplex.on('error', () => undefined);
  duplex.destroy(new Error('Parse Error'));
  assert.is(await heard, 'close_notify:HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
});

test('end() sends close_notify after everything written, also past the high-water mark', async () => {
  const { client, server } = await streamPair(fixture, new Reactor());
  const heard = endOf(client);
  const duplex = toNodeDuplex(server);
  const payload = Buffer.alloc(1024 * 1024, 'x');
  duplex.end(payload);
  const end = await heard;
  assert.is(end.slice(0, 'close_notify:'.length), 'close_notify:');
  assert.is(end.length - 'close_notify:'.length, payload.length);
});

test('a write after the end fails with EPIPE; a failed transport is ECONNRESET with the TLS error as cause', async () => {
  const { client, server } = await streamPair(fixture, new Reactor());
  const duplex = toNodeDuplex(server);
  // The secure stream is closed under the duplex (its close_notify is out): as a socket whose
  // end was sent, a write is EPIPE.
  void server.close();
  const late = await new Promise<NodeJS.ErrnoException | null | undefined>((resolve) => {
    duplex.once('error', () => undefined);
    duplex.write('late', (error) => resolve(error));
  });
  assert.is(late?.code, 'EPIPE');
  assert.is(late?.message, 'write EPIPE');

  const pair = await streamPair(fixture, new Reactor());
  const reading = toNodeDuplex(pair.server);
  const failed = once(reading, 'error');
  reading.resume();
  pair.server.transport.destroy(
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  );
  const [error] = (await failed) as [NodeJS.ErrnoException];
  assert.is(error.code, 'ECONNRESET');
  assert.is((error.cause as Error).name, 'SSLSyscallError');
  client.abort();
});

test('the socket-like surface: addresses, encrypted, alpnProtocol, authorized, certificate, cipher, counts', async () => {
  const { client, server } = await streamPair(fixture, new Reactor());
  const duplex: SecureDuplex = toNodeDuplex(client);
  assert.is(duplex.encrypted, true);
  assert.is(duplex.alpnProtocol, false);
  assert.is(duplex.authorized, true, 'the client verified the server');
  assert.is(toNodeDuplex(server).authorized, false, 'the server asked for no certificate');
  assert.is((duplex.getPeerCertificate() as { subject: { CN: string } }).subject.CN, 'localhost');
  assert.is(duplex.getProtocol(), client.version());
  assert.is(duplex.getCipher()?.name, client.cipher()?.[0]);
  duplex.write('abc');
  assert.is(duplex.bytesWritten, 3);
  assert.is(duplex.setNoDelay(true), duplex);
  assert.is(duplex.setKeepAlive(true, 1000), duplex);
  const timedOut = once(duplex, 'timeout');
  duplex.setTimeout(50);
  // The idle timer does not keep the process alive (as net.Socket's): this wait's deadline does.
  const deadline = setTimeout(() => undefined, 10_000);
  await timedOut;
  clearTimeout(deadline);
  client.abort();
});

/** An HTTP/1.1 exchange over a secure stream pair: Node's server and client, rxtls underneath. */
async function httpPair() {
  const { client, server } = await streamPair(fixture, new Reactor());
  return {
    client: toNodeDuplex(client),
    server: toNodeDuplex(server),
    streams: { client, server },
  };
}

test("Node's http server and client over the duplex: a slow reader gets a 4 MiB body intact", async () => {
  const { client, server } = await httpPair();
  const body = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const app = http.createServer((_request, response) => response.end(body));
  app.emit('connection', server);
  const request = http.request({ createConnection: () => client, path: '/' });
  request.end();
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
    // A slow reader: the server's writes wait for it (backpressure both ways).
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.is(sha256(Buffer.concat(chunks)), sha256(body));
  app.close();
});

test("a client that aborts an upload mid-body: the server's request ends in error, the process goes on", async () => {
  const { client, server } = await httpPair();
  const failed = new Promise<string>((resolve) => {
    const app = http.createServer((request) => {
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      request.on('aborted', () => resolve('aborted'));
      request.resume();
    });
    app.emit('connection', server);
  });
  const request = http.request({
    createConnection: () => client,
    method: 'POST',
    path: '/upload',
    headers: { 'content-length': String(1024 * 1024) },
  });
  request.on('error', () => undefined);
  request.write(Buffer.alloc(16 * 1024));
  await new Promise((resolve) => setImmediate(resolve));
  request.destroy();
  assert.ok(['aborted', 'ECONNRESET'].includes(await failed));
});

test('HttpService over TLS inside TLS: h2 and http/1.1 answer with one handler', async () => {
  const reactor = new Reactor();
  const service = new HttpService((request, response) => {
    response.end(`inner ${request.httpVersion}`);
  });
  const inner = async (alpn: string[]) => {
    const [a, b] = memoryPipe();
    const outerClient = fixture.clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
    const outerServer = fixture.serverCtx.wrapSocket(b, { serverSide: true, reactor });
    await Promise.all([outerClient.handshake(), outerServer.handshake()]);
    const clientCtx = fixture.clientCtx;
    const serverCtx = fixture.serverCtx;
    clientCtx.setAlpnProtocols(alpn);
    serverCtx.setAlpnProtocols(['h2', 'http/1.1']);
    const innerClient = clientCtx.wrapSocket(outerClient, { serverHostname: 'localhost', reactor });
    const innerServer = serverCtx.wrapSocket(outerServer, { serverSide: true, reactor });
    await Promise.all([innerClient.handshake(), innerServer.handshake()]);
    service.serve(innerServer);
    return toNodeDuplex(innerClient);
  };
  const h2socket = await inner(['h2']);
  const session = http2.connect('https://localhost', { createConnection: () => h2socket });
  const stream = session.request({ ':path': '/' });
  stream.setEncoding('utf8');
  let h2body = '';
  for await (const chunk of stream) h2body += chunk;
  assert.is(h2body, 'inner 2.0');
  session.close();

  const h1socket = await inner(['http/1.1']);
  const request = http.request({ createConnection: () => h1socket, path: '/' });
  request.end();
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  response.setEncoding('utf8');
  let h1body = '';
  for await (const chunk of response) h1body += chunk;
  assert.is(h1body, 'inner 1.1');
});

test.run();
