/**
 * What the rxtls diagnostics channels cost (issue 14): secure-stream pairs over memory
 * transports, each a full TLS 1.3 handshake, one small round trip and a close_notify close, in
 * one process and three modes, alternating: nobody subscribed; a no-op subscriber on every rxtls
 * channel (the messages are made and published); and a ServerMetrics counting the server side
 * (prom-client's counters and histogram updated). CPU time (process.cpuUsage, user + system) per
 * connection pair, the median of the rounds. The difference drowns in a handshake's noise, so a
 * second part times the reporting alone: the hooks one stream calls in its life (its handshake
 * start, end and close), run on one live server-side stream in a loop, per mode.
 *
 * Run: npm run build && node dist/bench/diagnostics.js   (BENCH_PAIRS=N per round, default 300;
 * BENCH_ROUNDS=N, default 5; RXTLS_ENGINE=node|native picks the engine)
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { SSLContext } from '../src/context/ssl-context.js';
import {
  CHANNEL_HANDSHAKE_END,
  CHANNEL_HANDSHAKE_START,
  CHANNEL_STREAM_CLOSE,
  CHANNEL_VERIFY_FAILURE,
  ServerMetrics,
} from '../src/index.js';
import { memoryPipe } from '../src/transport/memory-pipe.js';
import { StreamReport } from '../src/transport/stream/stream-diagnostics.js';
import { Reactor } from '../src/transport/stream/reactor.js';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';

const PAIRS = Number(process.env['BENCH_PAIRS'] ?? 300);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const CHANNELS = [
  CHANNEL_HANDSHAKE_START,
  CHANNEL_HANDSHAKE_END,
  CHANNEL_VERIFY_FAILURE,
  CHANNEL_STREAM_CLOSE,
];

const ca = await createCertificateAuthority({ subject: 'CN=bench CA' });
const leaf = await issueCertificate(ca, {
  subject: 'CN=localhost',
  subjectAltNames: { dns: ['localhost'] },
});
const dir = mkdtempSync(join(tmpdir(), 'rxtls-bench-'));
writeFileSync(join(dir, 'leaf.pem'), leaf.cert + leaf.key);
const server = new SSLContext(PROTOCOL_TLS_SERVER);
server.loadCertChain(join(dir, 'leaf.pem'));
rmSync(dir, { recursive: true, force: true });
const client = new SSLContext(PROTOCOL_TLS_CLIENT);
client.loadVerifyLocations({ cadata: ca.cert });
const reactor = new Reactor();

/** One pair: handshake, 'ping' echoed, close_notify both ways. */
async function pair(): Promise<void> {
  const [a, b] = memoryPipe();
  const c = client.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const s = server.wrapSocket(b, { serverSide: true, reactor });
  s.data$.subscribe({ next: (chunk) => s.write(chunk), error: () => undefined });
  await c.handshake();
  c.write('ping');
  await c.read();
  await c.close();
  await s.close();
}

/** CPU microseconds per pair over one round. */
async function round(): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < PAIRS; i++) await pair();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / PAIRS;
}

const noop = (): void => undefined;
const modes: Record<string, { on(): void; off(): void }> = {
  'no subscriber': { on: noop, off: noop },
  'no-op subscriber on every channel': {
    on: () => {
      for (const name of CHANNELS) diagnosticsChannel.subscribe(name, noop);
    },
    off: () => {
      for (const name of CHANNELS) diagnosticsChannel.unsubscribe(name, noop);
    },
  },
  ServerMetrics: (() => {
    let metrics: ServerMetrics | undefined;
    return {
      on: () => {
        metrics = new ServerMetrics();
      },
      off: () => metrics?.close(),
    };
  })(),
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

console.log(`engine: ${server.engine}; ${PAIRS} pairs per round, ${ROUNDS} rounds per mode`);
await round(); // warm-up
const results: Record<string, number[]> = Object.fromEntries(
  Object.keys(modes).map((name) => [name, []]),
);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, mode] of Object.entries(modes)) {
    mode.on();
    results[name]?.push(await round());
    mode.off();
  }
}
const base = median(results['no subscriber'] as number[]);
for (const [name, values] of Object.entries(results)) {
  const m = median(values);
  const delta = m - base;
  console.log(
    `${name.padEnd(36)} ${m.toFixed(1).padStart(8)} µs CPU per pair  (${delta >= 0 ? '+' : ''}${delta.toFixed(1)} µs, ${((delta / base) * 100).toFixed(1)}%)`,
  );
}

// The reporting alone: one server-side stream's hooks, many times over, on a live stream.
const LOOPS = 200_000;
const [a, b] = memoryPipe();
const liveClient = client.wrapSocket(a, { serverHostname: 'localhost', reactor });
const live = server.wrapSocket(b, { serverSide: true, reactor });
await liveClient.handshake();
await live.handshake();
const hooks = (): number => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOOPS; i++) {
    const report = StreamReport.begin(live);
    report?.handshakeDone();
    report?.closed(undefined, 'close-notify', 1000, 2000);
  }
  return Number(process.hrtime.bigint() - start) / LOOPS;
};
console.log(`\nthe hooks of one stream's life (start, end, close), ${LOOPS} times:`);
const hookResults: Record<string, number[]> = Object.fromEntries(
  Object.keys(modes).map((name) => [name, []]),
);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, mode] of Object.entries(modes)) {
    mode.on();
    hookResults[name]?.push(hooks());
    mode.off();
  }
}
for (const [name, values] of Object.entries(hookResults)) {
  console.log(`${name.padEnd(36)} ${median(values).toFixed(0).padStart(8)} ns per stream`);
}
await liveClient.close();
