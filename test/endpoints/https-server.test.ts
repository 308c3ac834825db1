/**
 * createHttpsServer: h2 and http/1.1 by ALPN with one handler, against real clients (curl,
 * h2load, undici, Node's http2 and tls), and what it does with malformed requests: each gets its
 * protocol's answer (400, 431, GOAWAY) and close_notify, and the next client is served.
 */
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, fetch } from 'undici';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createHttpsServer, type HttpsServer } from '../../src/endpoints/https-server.js';
import { toNodeDuplex } from '../../src/protocol/node-duplex.js';
import { contextPair, usePki } from '../helpers/pki.js';

const run = promisify(execFile);
const pki = usePki(test);

let server: HttpsServer;
let port = 0;
test.before(async () => {
  server = createHttpsServer({ context: contextPair(pki).serverCtx }, (request, response) => {
    if (request.url === '/big') {
      response.setHeader('content-type', 'application/octet-stream');
      response.end(Buffer.alloc(4 * 1024 * 1024, 1));
      return;
    }
    response.setHeader('content-type', 'text/plain');
    response.end(`hello ${request.method} ${request.url} over HTTP/${request.httpVersion}\n`);
  });
  ({ port } = await server.listen(0));
});
test.after(async () => {
  await server.close({ timeoutMs: 2_000 });
});

test('curl gets the answer over h2 and over HTTP/1.1, verifying the certificate', async () => {
  for (const [flag, version] of [
    ['--http2', '2'],
    ['--http1.1', '1.1'],
  ]) {
    const { stdout } = await run('curl', [
      '-sS',
      flag as string,
      '--cacert',
      pki.path('ca'),
      '-w',
      '%{http_version}',
      `https://localhost:${port}/x`,
    ]);
    assert.is(stdout, `hello GET /x over HTTP/${version === '2' ? '2.0' : '1.1'}\n${version}`);
  }
});

test('h2load completes every request over h2 and over HTTP/1.1', async () => {
  for (const args of [[], ['--h1']]) {
    const { stdout } = await run('h2load', [
      ...args,
      '-n',
      '40',
      '-c',
      '2',
      `https://127.0.0.1:${port}/`,
    ]);
    assert.match(stdout, `Application protocol: ${args.length ? 'http/1.1' : 'h2'}`);
    assert.match(stdout, 'requests: 40 total, 40 started, 40 done, 40 succeeded, 0 failed');
  }
});

test("undici's Agent with allowH2 over rxtls connect fetches over h2", async () => {
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cadata: pki.ca.cert });
  context.setAlpnProtocols(['h2', 'http/1.1']);
  const agent = new Agent({
    allowH2: true,
    connect: (options, callback) => {
      connect({ host: options.hostname, port: Number(options.port), context }).then(
        (socket) => callback(null, toNodeDuplex(socket) as never),
        (error: Error) => callback(error, null),
      );
    },
  });
  try {
    const response = await fetch(`https://localhost:${port}/fetched`, { dispatcher: agent });
    assert.is(await response.text(), 'hello GET /fetched over HTTP/2.0\n');
  } finally {
    await agent.close();
  }
});

/** What a raw TLS client gets for `request` and how its connection ended. */
function rawExchange(alpn: string, request: Buffer): Promise<{ reply: Buffer; end: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, ALPNProtocols: [alpn] },
      () => socket.write(request),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Node's TLS client reports the peer's close_notify as 'end'; a reset or EOF without it
    // as an error (ECONNRESET).
    socket.on('end', () => {
      socket.end();
      resolve({ reply: Buffer.concat(chunks), end: 'close_notify' });
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ reply: Buffer.concat(chunks), end: error.code ?? error.message }),
    );
  });
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const GOAWAY = 0x07;

/** The frame types in an h2 byte stream. */
function frameTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    types.push(bytes[at + 3] as number);
  }
  return types;
}

test('malformed HTTP/1.1 gets 400 (or 431) and close_notify, and the next client is served', async () => {
  const cases: [string, Buffer, string][] = [
    ['bare LF line endings', Buffer.from('GET / HTTP/1.0\n\n'), 'HTTP/1.1 400 Bad Request'],
    [
      'an invalid method',
      Buffer.from('G@T / HTTP/1.1\r\nHost: x\r\n\r\n'),
      'HTTP/1.1 400 Bad Request',
    ],
    [
      'oversized headers',
      Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      'HTTP/1.1 431 Request Header Fields Too Large',
    ],
    ['an h2 preface where http/1.1 was negotiated', H2_PREFACE, 'HTTP/1.1 400 Bad Request'],
  ];
  for (const [what, request, status] of cases) {
    const { reply, end } = await rawExchange('http/1.1', request);
    assert.ok(
      reply.toString('latin1').startsWith(`${status}\r\n`),
      `${what}: ${reply.toString('latin1')}`,
    );
    assert.is(end, 'close_notify', what);
  }
  const { reply } = await rawExchange(
    'http/1.1',
    Buffer.from('GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  );
  assert.match(reply.toString('latin1'), 'hello GET /next over HTTP/1.1');
});

test('invalid h2 gets GOAWAY and close_notify: HTTP/1.1 after negotiating h2, a bad frame', async () => {
  for (const [what, request] of [
    ['HTTP/1.1 after negotiating h2', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    // A frame of an unknown type on stream 0 with a bad length for SETTINGS' place after the preface.
    [
      'a frame that is not SETTINGS first',
      Buffer.concat([H2_PREFACE, Buffer.from('00000508000000000061626364', 'hex')]),
    ],
  ] as const) {
    const { reply, end } = await rawExchange('h2', request);
    assert.ok(frameTypes(reply).includes(GOAWAY), `${what}: ${reply.toString('hex')}`);
    assert.is(end, 'close_notify', what);
  }
});

test('a client that resets mid-response ends only its connection; the server serves the next', async () => {
  const tcp = net.connect(port, '127.0.0.1');
  const secure = tls.connect({
    socket: tcp,
    servername: 'localhost',
    ca: pki.ca.cert,
    ALPNProtocols: ['h2'],
  });
  const session = http2.connect(`https://localhost:${port}`, { createConnection: () => secure });
  session.on('error', () => undefined);
  const request = session.request({ ':path': '/big' });
  request.on('error', () => undefined);
  await new Promise<void>((resolve) => request.once('data', () => resolve()));
  // The TCP connection is reset under the response: no close_notify, no GOAWAY.
  tcp.resetAndDestroy();
  await new Promise<void>((resolve) => session.once('close', () => resolve()));
  const { stdout } = await run('curl', [
    '-sS',
    '--cacert',
    pki.path('ca'),
    `https://localhost:${port}/after`,
  ]);
  assert.is(stdout, 'hello GET /after over HTTP/2.0\n');
});

test.run();
