/**
 * Slow peers over TCP on 127.0.0.1 (README, Limits under attack): a peer that never reads makes
 * the server's writer back off with a bounded queue; a peer sending 1-byte TLS records and one
 * sending 1-byte TCP segments is served, with bounded buffers. Both engines.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../src/endpoints/connect.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import {
  MAX_CIPHERTEXT_RECORD,
  STREAM_HIGH_WATER_MARK,
  STREAM_READ_SIZE,
} from '../../src/transport/limits.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { useContextPair } from '../helpers/pki.js';
import { digestOf } from '../helpers/streams.js';
import { secretFromKeylog, Tls13Sender } from '../helpers/tls13-sender.js';

const fixture = useContextPair(test);
const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 16 * KiB;
/** What a writer that stops at false can make a stream hold: the high-water mark, its last write. */
const WRITE_BOUND = STREAM_HIGH_WATER_MARK + CHUNK;
/**
 * What a stream holds for a reader that does not keep up: the high-water mark, one engine read
 * past it, and ciphertext up to the high-water mark plus one transport chunk and one record.
 */
const READ_BOUND = 2 * STREAM_HIGH_WATER_MARK + STREAM_READ_SIZE + 64 * KiB + MAX_CIPHERTEXT_RECORD;
/** Far more than loopback's socket buffers can absorb (tcp_wmem + tcp_rmem are a few MiB). */
const NEVER_READ_TOTAL = 64 * MiB;
/** No writable$ for this long while the peer does not read: its window is shut. */
const QUIET_MS = 1_000;

/** The server and what its one connection did; the handler is given the stream. */
async function startServer(
  handler: (socket: SSLSocket<unknown>) => void,
): Promise<{ server: Server; port: number; handshaken: Promise<void> }> {
  let handshaken!: Promise<void>;
  const server = createServer({ context: fixture.serverCtx, reactor: new Reactor() }, (socket) => {
    const s = socket as SSLSocket<unknown>;
    handshaken = s.handshake();
    // Awaited by one test only; a failure shows as the stream's error in the others.
    handshaken.catch(() => undefined);
    handler(s);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    server,
    port,
    get handshaken() {
      return handshaken;
    },
  };
}

/** An echo handler that records the most the stream held for its reader and its writer. */
function measuringEcho(held: { read: number; write: number; chunks: number }) {
  return (socket: SSLSocket<unknown>): void => {
    socket.data$.subscribe({
      next: (chunk) => {
        held.chunks += 1;
        held.read = Math.max(held.read, socket.getReadBufferSize());
        if (!socket.write(chunk)) socket.pause();
        held.write = Math.max(held.write, socket.getWriteBufferSize());
      },
      complete: () => void socket.close(),
      error: () => undefined,
    });
    socket.writable$.subscribe(() => socket.resume());
  };
}

test('a peer that never reads: write() answers false and the server holds at most the high-water mark', async () => {
  let accepted = 0;
  let falses = 0;
  let maxHeld = 0;
  let stalled!: () => void;
  const stall = new Promise<void>((resolve) => {
    stalled = resolve;
  });
  let writing!: Promise<void>;
  const { server, port } = await startServer((socket) => {
    const chunk = randomBytes(CHUNK);
    writing = (async () => {
      while (accepted < NEVER_READ_TOTAL) {
        const ok = socket.write(chunk);
        accepted += CHUNK;
        maxHeld = Math.max(maxHeld, socket.getWriteBufferSize());
        if (ok) continue;
        falses += 1;
        const drained = firstValueFrom(socket.writable$);
        const timer = setTimeout(stalled, QUIET_MS);
        await drained;
        clearTimeout(timer);
      }
      await socket.close();
    })();
    // A writer that got everything out (no backpressure) ends the wait too, and fails below.
    writing.then(stalled, stalled);
  });
  const client = await connect({ host: '127.0.0.1', port, context: fixture.clientCtx });
  client.pause();
  await stall;
  // The writer is stuck behind the shut window, with its queue at the bound.
  assert.ok(accepted < NEVER_READ_TOTAL, `the server wrote all ${accepted} bytes`);
  assert.ok(falses > 0);
  assert.ok(maxHeld <= WRITE_BOUND, `the server stream held ${maxHeld} bytes`);
  assert.ok(client.getReadBufferSize() <= READ_BOUND, `${client.getReadBufferSize()} held`);
  report('never-reading peer', {
    accepted,
    falses,
    maxHeld,
    clientHeld: client.getReadBufferSize(),
  });
  // Reading again, the client gets every byte the server's writes accepted.
  const digest = digestOf(client);
  client.resume();
  await writing;
  assert.is((await digest).bytes, NEVER_READ_TOTAL);
  assert.ok(maxHeld <= WRITE_BOUND, `the server stream held ${maxHeld} bytes`);
  await client.close();
  await server.close({ timeoutMs: 5_000 });
});

/**
 * A node:tls TLS 1.3 client over a socket the test also holds, and its application traffic
 * secret from the key log: the test may write raw records under the client's keys.
 */
async function rawClient(
  port: number,
): Promise<{ raw: net.Socket; client: tls.TLSSocket; sender: Tls13Sender }> {
  const raw = net.connect(port, '127.0.0.1');
  raw.setNoDelay(true);
  const client = tls.connect({
    socket: raw,
    servername: 'localhost',
    ca: readFileSync(fixture.pki.path('ca')),
    minVersion: 'TLSv1.3',
  });
  let keylog = '';
  client.on('keylog', (line: Buffer) => {
    keylog += line.toString('latin1');
  });
  await once(client, 'secureConnect');
  const suite = client.getCipher().standardName;
  return {
    raw,
    client,
    sender: new Tls13Sender(suite, secretFromKeylog(keylog, 'CLIENT_TRAFFIC_SECRET_0')),
  };
}

/** Reads `length` bytes from a node:tls socket. */
async function readExactly(socket: tls.TLSSocket, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of socket) {
    chunks.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (got >= length) break;
  }
  return Buffer.concat(chunks).subarray(0, length);
}

test('a peer sending 1-byte TLS records is echoed with bounded buffers', async () => {
  const held = { read: 0, write: 0, chunks: 0 };
  const started = await startServer(measuringEcho(held));
  const { server, port } = started;
  const { raw, client, sender } = await rawClient(port);
  // node:tls may still hold its Finished when it says secureConnect: our records go after it.
  await started.handshaken;
  const payload = randomBytes(16 * KiB);
  // Each byte its own record (22 bytes of ciphertext for 1 of plaintext), all in one burst.
  const records = Array.from(payload, (byte) => sender.data(Buffer.from([byte])));
  const echoed = readExactly(client, payload.length);
  raw.write(Buffer.concat(records));
  assert.equal(await echoed, payload);
  assert.ok(held.read <= READ_BOUND, `the server stream held ${held.read} bytes to read`);
  assert.ok(held.write <= WRITE_BOUND, `the server stream held ${held.write} bytes to write`);
  report('1-byte records', held);
  client.destroy();
  await server.close({ timeoutMs: 5_000 });
});

/**
 * A relay on 127.0.0.1 that forwards the client's bytes to `port` one byte per TCP segment
 * (Nagle off, each write waiting for the previous one) and the server's bytes as they come.
 */
async function dribblingRelay(port: number): Promise<{ relay: net.Server; relayPort: number }> {
  const relay = net.createServer((downstream) => {
    const upstream = net.connect(port, '127.0.0.1');
    upstream.setNoDelay(true);
    upstream.pipe(downstream);
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    let chain: Promise<unknown> = once(upstream, 'connect');
    downstream.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        for (const byte of chunk) {
          if (upstream.destroyed) return;
          await new Promise((resolve) => upstream.write(Buffer.from([byte]), resolve));
        }
      });
    });
    downstream.on('end', () => void chain.then(() => upstream.end()));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return { relay, relayPort: (relay.address() as net.AddressInfo).port };
}

test('a peer sending 1-byte TCP segments completes its handshake and is echoed with bounded buffers', async () => {
  const held = { read: 0, write: 0, chunks: 0 };
  const { server, port } = await startServer(measuringEcho(held));
  const { relay, relayPort } = await dribblingRelay(port);
  const client = tls.connect({
    host: '127.0.0.1',
    port: relayPort,
    servername: 'localhost',
    ca: readFileSync(fixture.pki.path('ca')),
  });
  await once(client, 'secureConnect');
  const payload = randomBytes(4 * KiB);
  const echoed = readExactly(client, payload.length);
  client.write(payload);
  assert.equal(await echoed, payload);
  assert.ok(held.read <= READ_BOUND, `the server stream held ${held.read} bytes to read`);
  assert.ok(held.write <= WRITE_BOUND, `the server stream held ${held.write} bytes to write`);
  report('1-byte segments', held);
  client.destroy();
  await server.close({ timeoutMs: 5_000 });
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

/** Figures for the report, printed only when RXTLS_TEST_REPORT is set. */
function report(what: string, data: object): void {
  if (process.env['RXTLS_TEST_REPORT']) console.log(what, JSON.stringify(data));
}

test.run();
