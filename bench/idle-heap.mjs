#!/usr/bin/env node
// Idle heap per connection: `rxtls serve --echo` in a child process started with
// --heapsnapshot-signal, N idle TLS connections (handshake, then nothing) from this one, a heap
// snapshot before and with all N open, and the difference tallied by constructor: objects per
// connection and bytes per connection (V8's self sizes, JavaScript heap only; OpenSSL's memory
// is outside it). Not part of `npm test`; see bench/README.md, Slow peers.
//
//   node bench/idle-heap.mjs [N] [--top K]
//
// Build first (`npm run build`). RXTLS_ENGINE picks the server's engine.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { rssKiB, startEchoServer } from './serve-process.mjs';

const args = process.argv.slice(2);
const count = Number(args[0]?.startsWith('--') ? 2000 : (args[0] ?? 2000));
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 40;

function idle(port, ca) {
  return new Promise((done, fail) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      socket.on('error', () => undefined);
      done(socket);
    });
  });
}

/** Takes a snapshot (SIGUSR2) and resolves with its path once written. */
async function snapshot(child, dir) {
  const before = new Set(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')));
  child.kill('SIGUSR2');
  for (let i = 0; i < 1200; i += 1) {
    await new Promise((r) => setTimeout(r, 250));
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh.length === 0) continue;
    const path = join(dir, fresh[0]);
    // Written once the JSON closes.
    const text = readFileSync(path, 'utf8');
    if (text.trimEnd().endsWith('}')) {
      try {
        return JSON.parse(text);
      } catch {}
    }
  }
  throw new Error('no heap snapshot');
}

/** Counts and self sizes by "type name" (constructor for objects, function name for closures). */
function tally(snap) {
  const detail = args.includes('--detail');
  const { node_fields: fields, node_types: types } = snap.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const typeNames = types[0];
  const out = new Map();
  const { nodes, strings, edges } = snap;
  // Where each closure was written (script id, line), and each node's first named retainer, so
  // anonymous closures, arrays and plain objects say whose they are.
  const where = new Map();
  const locWidth = snap.snapshot.meta.location_fields?.length ?? 4;
  for (let i = 0; i < (snap.locations?.length ?? 0); i += locWidth) {
    where.set(snap.locations[i], `@${snap.locations[i + 1]}:${snap.locations[i + 2] + 1}`);
  }
  const owner = new Map();
  if (detail) {
    const { edge_fields: ef, edge_types: et } = snap.snapshot.meta;
    const edgeCountAt = fields.indexOf('edge_count');
    let e = 0;
    for (let i = 0; i < nodes.length; i += width) {
      const parentType = typeNames[nodes[i + typeAt]];
      const parent = strings[nodes[i + nameAt]];
      for (let k = 0; k < nodes[i + edgeCountAt]; k += 1, e += ef.length) {
        const kind = et[0][edges[e]];
        if (kind === 'weak' || kind === 'shortcut') continue;
        const to = edges[e + 2];
        if (owner.has(to)) continue;
        const label =
          kind === 'element' || kind === 'hidden' ? `[${edges[e + 1]}]` : strings[edges[e + 1]];
        owner.set(to, `${parentType === 'object' ? parent : parentType}.${label}`);
      }
    }
  }
  for (let i = 0; i < nodes.length; i += width) {
    const type = typeNames[nodes[i + typeAt]];
    let name = type;
    if (type === 'object' || type === 'closure' || type === 'native')
      name = `${type} ${strings[nodes[i + nameAt]]}`;
    else if (type === 'hidden' || type === 'array' || type === 'code')
      name = `${type} ${strings[nodes[i + nameAt]]}`.slice(0, 60);
    if (detail && type === 'closure') name += ` ${where.get(i) ?? ''} <- ${owner.get(i) ?? ''}`;
    else if (
      detail &&
      (name === 'object Object' ||
        name === 'object Array' ||
        name.startsWith('array') ||
        name === 'object system / Context')
    )
      name += ` <- ${owner.get(i) ?? ''}`;
    const entry = out.get(name) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += nodes[i + sizeAt];
    out.set(name, entry);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'rxtls-idle-heap-'));
const { child, port } = await startEchoServer(dir, ['--heapsnapshot-signal=SIGUSR2']);
const ca = readFileSync(join(dir, '.rxtls/ca.pem'));
const sockets = [];
try {
  for (let i = 0; i < 50; i += 1) (await idle(port, ca)).destroy();
  await new Promise((r) => setTimeout(r, 1_000));
  const first = tally(await snapshot(child, dir));
  const rssBefore = rssKiB(child.pid);
  while (sockets.length < count) {
    const batch = Math.min(8, count - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => idle(port, ca)))));
  }
  await new Promise((r) => setTimeout(r, 1_000));
  const rssHeld = rssKiB(child.pid);
  const second = tally(await snapshot(child, dir));
  const rows = [];
  let totalCount = 0;
  let totalSize = 0;
  for (const [name, b] of second) {
    const a = first.get(name) ?? { count: 0, size: 0 };
    const dc = (b.count - a.count) / count;
    const ds = (b.size - a.size) / count;
    totalCount += dc;
    totalSize += ds;
    if (Math.abs(dc) >= 0.5 || Math.abs(ds) >= 16) rows.push({ name, dc, ds });
  }
  rows.sort((x, y) => y.ds - x.ds);
  process.stdout.write(
    `engine ${process.env.RXTLS_ENGINE ?? 'default'}, ${count} idle connections\n` +
      `RSS ${((rssHeld - rssBefore) / count).toFixed(1)} KiB per connection; JS heap ` +
      `${totalCount.toFixed(1)} objects, ${(totalSize / 1024).toFixed(2)} KiB per connection\n`,
  );
  for (const r of rows.slice(0, top)) {
    process.stdout.write(
      `${r.dc.toFixed(2).padStart(7)} ${r.ds.toFixed(0).padStart(6)} B  ${r.name}\n`,
    );
  }
} finally {
  for (const socket of sockets) socket.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
