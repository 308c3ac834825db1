/**
 * bench/echo: the rxtls echo server (createServer, native and node engines) against Node's own
 * `tls` echo server, each in a child process on 127.0.0.1, loaded by the same Node tls.connect
 * client in this process. Prints a table with rxtls / native ratios.
 *
 *   node dist/bench/echo.js            (about two minutes)
 *   BENCH_QUICK=1 node dist/bench/echo.js
 *
 * Not part of the test suite: ratios are measured, never asserted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { SSLContext } from '../src/context/ssl-context.js';
import { createServer } from '../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import type { SSLSocket } from '../src/transport/stream/ssl-socket.js';
import { makePki } from '../test/helpers/pki.js';

const QUICK = process.env.BENCH_QUICK === '1';
const HANDSHAKE_CONCURRENCY = 16;
const HANDSHAKE_SECONDS = QUICK ? 1 : 3;
const BULK_BYTES = (QUICK ? 64 : 256) * 1024 * 1024;
const BULK_WRITE = 64 * 1024;
const PING_BYTES = 64;
const PING_ROUNDS = QUICK ? 500 : 3_000;
const MESSAGE_CONNECTIONS = 200;
const MESSAGE_SECONDS = QUICK ? 1 : 3;
const IDLE_CONNECTIONS = QUICK ? 500 : 2_000;

type ServerKind = 'native' | 'rxtls';
interface ServerMessage {
  port?: number;
  rss?: number;
}

// ---------------------------------------------------------------------------------------------
// the server child

function echo(socket: SSLSocket<unknown>): void {
  socket.data$.subscribe({
    next: (chunk) => {
      if (!socket.write(chunk)) socket.pause();
    },
    complete: () => void socket.close(),
    error: () => undefined,
  });
  socket.writable$.subscribe(() => socket.resume());
}

async function serve(kind: ServerKind, certFile: string, keyFile: string): Promise<void> {
  const send = (message: ServerMessage) => process.send?.(message);
  let port: number;
  if (kind === 'rxtls') {
    const context = new SSLContext(PROTOCOL_TLS_SERVER);
    context.loadCertChain(certFile, keyFile);
    const server = createServer({ context, handshakeTimeoutMs: 0 }, echo);
    port = (await server.listen(0, '127.0.0.1')).port;
  } else {
    const { readFileSync } = await import('node:fs');
    const server = tls.createServer(
      { cert: readFileSync(certFile), key: readFileSync(keyFile) },
      (socket) => {
        socket.on('error', () => undefined);
        socket.pipe(socket);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }
  process.on('message', (message: string) => {
    if (message === 'rss') {
      globalThis.gc?.();
      send({ rss: process.memoryUsage().rss });
    }
    if (message === 'exit') process.exit(0);
  });
  send({ port });
}

// ---------------------------------------------------------------------------------------------
// the client

class ServerChild {
  readonly child: ChildProcess;
  readonly #waiters: ((message: ServerMessage) => void)[] = [];

  constructor(kind: ServerKind, engine: string, cert: string, key: string) {
    this.child = fork(fileURLToPath(import.meta.url), ['serve', kind, cert, key], {
      env: { ...process.env, RXTLS_ENGINE: engine },
      execArgv: ['--expose-gc'],
    });
    this.child.on('message', (message: ServerMessage) => this.#waiters.shift()?.(message));
  }

  next(): Promise<ServerMessage> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async rss(): Promise<number> {
    const reply = this.next();
    this.child.send('rss');
    return (await reply).rss ?? 0;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('exit');
    await exited;
  }
}

function open(port: number, ca: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads exactly `n` bytes from `socket` (its 'data' events), resolving once they arrived. */
function receive(socket: tls.TLSSocket, n: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= n) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
}

async function handshakesPerSecond(port: number, ca: string): Promise<number> {
  const deadline = Date.now() + HANDSHAKE_SECONDS * 1000;
  let count = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const socket = await open(port, ca);
      count += 1;
      socket.destroy();
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: HANDSHAKE_CONCURRENCY }, worker));
  return count / ((Date.now() - started) / 1000);
}

async function bulkMiBps(port: number, ca: string): Promise<number> {
  const socket = await open(port, ca);
  const chunk = randomBytes(BULK_WRITE);
  const started = process.hrtime.bigint();
  const back = receive(socket, BULK_BYTES);
  for (let sent = 0; sent < BULK_BYTES; sent += BULK_WRITE) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await back;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.destroy();
  return BULK_BYTES / (1024 * 1024) / seconds;
}

async function pingPong(port: number, ca: string): Promise<{ median: number; p99: number }> {
  const socket = await open(port, ca);
  const message = randomBytes(PING_BYTES);
  const times: number[] = [];
  for (let i = 0; i < PING_ROUNDS; i++) {
    const started = process.hrtime.bigint();
    const back = receive(socket, PING_BYTES);
    socket.write(message);
    await back;
    times.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  socket.destroy();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { median: at(0.5), p99: at(0.99) };
}

async function messagesPerSecond(port: number, ca: string): Promise<number> {
  const sockets = await Promise.all(
    Array.from({ length: MESSAGE_CONNECTIONS }, () => open(port, ca)),
  );
  const message = randomBytes(PING_BYTES);
  const deadline = Date.now() + MESSAGE_SECONDS * 1000;
  let count = 0;
  const started = Date.now();
  await Promise.all(
    sockets.map(async (socket) => {
      while (Date.now() < deadline) {
        const back = receive(socket, PING_BYTES);
        socket.write(message);
        await back;
        count += 1;
      }
    }),
  );
  const rate = count / ((Date.now() - started) / 1000);
  for (const socket of sockets) socket.destroy();
  return rate;
}

async function rssPerIdleConnection(server: ServerChild, port: number, ca: string) {
  const before = await server.rss();
  const sockets: tls.TLSSocket[] = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i += 100) {
    sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => open(port, ca)))));
  }
  // A round trip on the last one: the server has finished every handshake before it.
  const last = sockets[sockets.length - 1] as tls.TLSSocket;
  const back = receive(last, 1);
  last.write('x');
  await back;
  const after = await server.rss();
  for (const socket of sockets) socket.destroy();
  return (after - before) / IDLE_CONNECTIONS;
}

interface Results {
  handshakes: number;
  bulk: number;
  median: number;
  p99: number;
  messages: number;
  rss: number;
}

async function measure(kind: ServerKind, engine: string, cert: string, key: string, ca: string) {
  const server = new ServerChild(kind, engine, cert, key);
  const { port = 0 } = await server.next();
  const handshakes = await handshakesPerSecond(port, ca);
  const bulk = await bulkMiBps(port, ca);
  const { median, p99 } = await pingPong(port, ca);
  const messages = await messagesPerSecond(port, ca);
  const rss = await rssPerIdleConnection(server, port, ca);
  await server.stop();
  return { handshakes, bulk, median, p99, messages, rss } satisfies Results;
}

async function main(): Promise<void> {
  const pki = await makePki();
  const cert = pki.path('server');
  const key = pki.path('server-key');
  const ca = pki.ca.cert;
  const started = Date.now();
  try {
    const native = await measure('native', 'native', cert, key, ca);
    const rxNative = await measure('rxtls', 'native', cert, key, ca);
    const rxNode = await measure('rxtls', 'node', cert, key, ca);
    const rows: [string, keyof Results, number, boolean][] = [
      ['full handshakes/s (16 concurrent)', 'handshakes', 0, true],
      ['bulk MiB/s (1 connection, 64 KiB writes)', 'bulk', 1, true],
      ['ping-pong 64 B median (us)', 'median', 0, false],
      ['ping-pong 64 B p99 (us)', 'p99', 0, false],
      [`messages/s (${MESSAGE_CONNECTIONS} connections)`, 'messages', 0, true],
      [`server RSS per idle connection (KiB, ${IDLE_CONNECTIONS})`, 'rss', 1, false],
    ];
    const cell = (value: number, digits: number) => value.toFixed(digits).padStart(10);
    const ratio = (a: number, b: number) => (b === 0 ? '   n/a' : (a / b).toFixed(2).padStart(6));
    const head = `${'metric'.padEnd(46)}${'node tls'.padStart(10)}${'rxtls/nat'.padStart(10)} ratio${'rxtls/node'.padStart(11)} ratio`;
    console.log(head);
    console.log('-'.repeat(head.length));
    for (const [label, field, digits] of rows) {
      const scale = field === 'rss' ? 1 / 1024 : 1;
      const n = native[field] * scale;
      const a = rxNative[field] * scale;
      const b = rxNode[field] * scale;
      console.log(
        `${label.padEnd(46)}${cell(n, digits)}${cell(a, digits)}${ratio(a, n)} ${cell(b, digits)}${ratio(b, n)}`,
      );
    }
    console.log(`\n(ratios are rxtls / node tls; ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    pki.remove();
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as ServerKind, process.argv[4] as string, process.argv[5] as string);
} else {
  await main();
}
