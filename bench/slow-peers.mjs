#!/usr/bin/env node
// Slow peers: `rxtls serve --echo` in a child process, N connections from this one in each
// slow-peer pattern, the server's RSS read from /proc before and with all N open. Not part of
// `npm test`; see bench/README.md, Slow peers.
//
//   node bench/slow-peers.mjs [N] [--patterns idle,records,segments,never-reading]
//        [--never-reading N2] [--bytes B]
//
// idle           handshake, then nothing
// records        B bytes (default 4096) sent as 1-byte TLS records (raw records under the
//                client's key-logged traffic secret), echoed back
// segments       handshake and B bytes through a socket that writes 1 byte per TCP segment
// never-reading  the client stops reading and writes until the server stops reading it (its
//                writes backed up for 1 s): the server's echo backs off
//
// Build first (`npm run build`): the server is bin/rxtls.js and the record writer is
// dist/test/helpers/tls13-sender.js. RXTLS_ENGINE picks the server's engine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { rssKiB, startEchoServer } from './serve-process.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const { secretFromKeylog, Tls13Sender } = await import(
  join(root, 'dist/test/helpers/tls13-sender.js')
);
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const count = Number(args[0]?.startsWith('--') ? 500 : (args[0] ?? 500));
const neverReadingCount = Number(option('--never-reading', 100));
const bytes = Number(option('--bytes', 4096));
const patterns = option('--patterns', 'idle,records,segments,never-reading').split(',');

/** Resolves with the socket once its handshake is done. */
function handshaken(socket) {
  return new Promise((done, fail) => {
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      socket.on('error', () => undefined);
      done(socket);
    });
  });
}

/** Reads until `n` bytes arrived. */
function readBytes(socket, n) {
  return new Promise((done, fail) => {
    let got = 0;
    const onData = (chunk) => {
      got += chunk.length;
      if (got >= n) {
        socket.off('data', onData);
        done();
      }
    };
    socket.on('data', onData);
    socket.once('error', fail);
  });
}

const patternOpeners = {
  idle: (port, ca) =>
    handshaken(tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })),

  async records(port, ca) {
    const raw = net.connect(port, '127.0.0.1');
    const socket = tls.connect({ socket: raw, ca, servername: 'localhost', minVersion: 'TLSv1.3' });
    let keylog = '';
    socket.on('keylog', (line) => {
      keylog += line.toString('latin1');
    });
    await handshaken(socket);
    // One echoed byte first: the server has the client's Finished before our raw records, and
    // the client's sequence number is 1.
    const first = readBytes(socket, 1);
    socket.write('x');
    await first;
    const sender = new Tls13Sender(
      socket.getCipher().standardName,
      secretFromKeylog(keylog, 'CLIENT_TRAFFIC_SECRET_0'),
    );
    sender.data(Buffer.alloc(1)); // sequence number 0, already sent by node:tls
    const records = [];
    for (let i = 0; i < bytes; i += 1) records.push(sender.data(Buffer.from([0x61])));
    const echoed = readBytes(socket, bytes);
    raw.write(Buffer.concat(records));
    await echoed;
    return socket;
  },

  async segments(port, ca) {
    const raw = net.connect(port, '127.0.0.1');
    raw.setNoDelay(true);
    // Every byte node:tls writes goes out alone, each write waiting for the previous one.
    const dribbler = new Duplex({
      write(chunk, _encoding, callback) {
        (async () => {
          for (const byte of chunk) {
            await new Promise((r) => raw.write(Buffer.from([byte]), r));
          }
        })().then(() => callback(), callback);
      },
      read() {
        raw.resume();
      },
    });
    raw.on('data', (chunk) => {
      if (!dribbler.push(chunk)) raw.pause();
    });
    raw.on('end', () => dribbler.push(null));
    raw.on('error', (error) => dribbler.destroy(error));
    const socket = await handshaken(tls.connect({ socket: dribbler, ca, servername: 'localhost' }));
    const echoed = readBytes(socket, bytes);
    socket.write(Buffer.alloc(bytes, 0x61));
    await echoed;
    socket.raw = raw;
    return socket;
  },

  async 'never-reading'(port, ca) {
    const socket = await handshaken(
      tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }),
    );
    socket.pause();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    // Write until the writes stay backed up for a second: the server has stopped reading.
    for (let sent = 0; sent < 256 * 1024 * 1024; sent += chunk.length) {
      if (socket.write(chunk)) continue;
      const drained = await new Promise((r) => {
        const timer = setTimeout(() => r(false), 1_000);
        socket.once('drain', () => {
          clearTimeout(timer);
          r(true);
        });
      });
      if (!drained) break;
    }
    return socket;
  },
};

async function run(pattern, n) {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-slow-peers-'));
  const { child, port } = await startEchoServer(dir);
  const ca = readFileSync(join(dir, '.rxtls/ca.pem'));
  const sockets = [];
  try {
    // Warm-up: the first connections size the heap and OpenSSL's caches once.
    for (let i = 0; i < 50; i += 1) (await patternOpeners.idle(port, ca)).destroy();
    await new Promise((r) => setTimeout(r, 1_000));
    const before = rssKiB(child.pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKiB(child.pid));
    }, 100);
    const t0 = Date.now();
    let failures = 0;
    // Eight at a time so the listen backlog never overflows; never-reading ones all at once
    // after that (each waits a second for its writes to back up).
    const opened = [];
    while (opened.length + failures < n) {
      const batch = Math.min(pattern === 'never-reading' ? 50 : 8, n - opened.length - failures);
      const results = await Promise.allSettled(
        Array.from({ length: batch }, () => patternOpeners[pattern](port, ca)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') opened.push(r.value);
        else failures += 1;
      }
    }
    sockets.push(...opened);
    const seconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1_000));
    const held = rssKiB(child.pid);
    clearInterval(sampler);
    peak = Math.max(peak, held);
    const perConnection = (kib) => ((kib - before) / opened.length).toFixed(1);
    process.stdout.write(
      `${pattern.padEnd(14)} ${String(opened.length).padStart(5)} open (${failures} failed, ${seconds.toFixed(1)} s): ` +
        `server RSS ${(before / 1024).toFixed(1)} -> ${(held / 1024).toFixed(1)} MiB ` +
        `(peak ${(peak / 1024).toFixed(1)}): ${perConnection(held)} KiB per connection, ` +
        `${perConnection(peak)} KiB at the peak\n`,
    );
  } finally {
    for (const socket of sockets) {
      socket.destroy();
      socket.raw?.destroy();
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(
  `engine ${process.env.RXTLS_ENGINE ?? 'default'}, ${bytes} bytes per records/segments connection\n`,
);
for (const pattern of patterns) {
  if (!patternOpeners[pattern]) throw new Error(`unknown pattern ${pattern}`);
  await run(pattern, pattern === 'never-reading' ? neverReadingCount : count);
}
