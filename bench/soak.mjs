#!/usr/bin/env node
// Soak: `rxtls serve --echo` in a child process, driven by node:tls clients from this one, with
// the server's RSS and open file descriptors read from /proc/<pid>/status and /proc/<pid>/fd
// before and after. Not part of `npm test`; see bench/README.md, Soak.
//
//   node bench/soak.mjs cycles [N] [--concurrency C]   N connect/handshake/echo/close cycles
//   node bench/soak.mjs idle [N] [--hold-ms MS] [--rounds R]   N concurrent idle TLS connections, R times
//
// Build first (`npm run build`): the server is bin/rxtls.js. RXTLS_ENGINE picks its engine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { rssKiB, startEchoServer } from './serve-process.mjs';

const args = process.argv.slice(2);
const mode = args[0];
const count = Number(args[1] ?? (mode === 'idle' ? 10_000 : 100_000));
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
if ((mode !== 'cycles' && mode !== 'idle') || !Number.isInteger(count) || count < 1) {
  process.stderr.write(
    'usage: node bench/soak.mjs cycles|idle [N] [--concurrency C] [--hold-ms MS]\n',
  );
  process.exit(2);
}

/** RSS (KiB) and open descriptors of a process, from /proc. */
function sample(pid) {
  return {
    rssMiB: Math.round(rssKiB(pid) / 102.4) / 10,
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

/** One TLS connection that has completed its handshake and echoed `payload`. */
function echoOnce(port, ca, payload) {
  return new Promise((done, fail) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    let got = 0;
    socket.once('secureConnect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      got += chunk.length;
      if (got >= payload.length) socket.end();
    });
    socket.once('error', fail);
    socket.once('close', () => (got >= payload.length ? done() : fail(new Error('no echo'))));
  });
}

function openIdle(port, ca) {
  return new Promise((done, fail) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      socket.on('error', () => undefined);
      done(socket);
    });
    socket.once('error', fail);
  });
}

async function cycles(port, ca, n, concurrency, onProgress) {
  const payload = Buffer.alloc(1024, 0x61);
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < n) {
      next += 1;
      if (next % 5000 === 0) onProgress(next);
      await echoOnce(port, ca, payload).catch(() => {
        failures += 1;
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}

/** Waits until the server reports `connections` open connections, polling its /proc entry. */
async function settle(pid, fds, limitMs) {
  const deadline = Date.now() + limitMs;
  let last = sample(pid);
  while (Date.now() < deadline && last.fds > fds) {
    await new Promise((r) => setTimeout(r, 200));
    last = sample(pid);
  }
  return last;
}

const dir = mkdtempSync(join(tmpdir(), 'rxtls-soak-'));
const { child, port } = await startEchoServer(dir);
const ca = readFileSync(join(dir, '.rxtls/ca.pem'));
const report = (label, s) =>
  process.stdout.write(
    `${label.padEnd(28)} rss ${String(s.rssMiB).padStart(7)} MiB  fds ${s.fds}\n`,
  );
try {
  const started = sample(child.pid);
  report('server started', started);
  // Warm-up: the first connections size the heap and OpenSSL's caches once.
  await cycles(port, ca, 1_000, 8, () => undefined);
  const before = await settle(child.pid, started.fds, 10_000);
  report('after 1000 warm-up cycles', before);
  const t0 = process.hrtime.bigint();
  if (mode === 'cycles') {
    const concurrency = option('--concurrency', 8);
    const failures = await cycles(port, ca, count, concurrency, (done) =>
      report(`  ${done} cycles`, sample(child.pid)),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(
      `${count} cycles, concurrency ${concurrency}: ${seconds.toFixed(1)} s, ` +
        `${Math.round(count / seconds)}/s, ${failures} failed\n`,
    );
  } else {
    // Several rounds on one server tell a leak (each round higher) from memory the allocator
    // keeps for the next round (the first round's peak, reused).
    const rounds = option('--rounds', 1);
    for (let round = 1; round <= rounds; round += 1) {
      const sockets = [];
      let failures = 0;
      // Opened eight at a time so the listen backlog never overflows.
      while (sockets.length + failures < count) {
        const batch = Math.min(8, count - sockets.length - failures);
        const opened = await Promise.allSettled(
          Array.from({ length: batch }, () => openIdle(port, ca)),
        );
        for (const o of opened) {
          if (o.status === 'fulfilled') sockets.push(o.value);
          else failures += 1;
        }
        if (sockets.length % 1000 === 0 && sockets.length > 0) {
          report(`  ${sockets.length} idle`, sample(child.pid));
        }
      }
      const held = sample(child.pid);
      report(`${sockets.length} idle open`, held);
      process.stdout.write(
        `per idle connection: ${(((held.rssMiB - before.rssMiB) * 1024) / sockets.length).toFixed(1)} KiB RSS, ` +
          `${failures} failed to open\n`,
      );
      await new Promise((r) => setTimeout(r, option('--hold-ms', 5_000)));
      for (const socket of sockets) socket.destroy();
      report(`round ${round} closed (settled)`, await settle(child.pid, before.fds, 60_000));
    }
  }
  const after = await settle(child.pid, before.fds, 60_000);
  report('after the run (settled)', after);
  await new Promise((r) => setTimeout(r, 5_000));
  report('5 s later', sample(child.pid));
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
