/**
 * rxtls's node engine against Node's native TLS, in one process and one run.
 *
 * (a) two SSLObjects pumped in memory (bench/memory-pump.ts), versus (b) two TLSSockets over TCP
 * on 127.0.0.1; same EC P-256 certificates (a fresh CA and a `localhost` leaf), same verification
 * on the client. Measured: full handshakes per second (sequential, and 16 in flight), CPU time
 * per handshake, and bulk MiB/s on one connection. Each figure is the median of three runs after
 * a warm-up; the ratio column is rxtls / native (above 1: rxtls is faster or, for CPU, costlier).
 *
 * Run without npm, from the repository root:
 *
 *   node node_modules/typescript/bin/tsc -p tsconfig.json && node dist/bench/engine.js
 *
 * Options: `--only rxtls` or `--only native` runs one path (for `node --cpu-prof`);
 * `BENCH_HANDSHAKES` (default 300) and `BENCH_BULK_MIB` (default 256) scale the work.
 */
import 'reflect-metadata';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';
import type { BenchPki, TlsPath } from './bench-types.js';
import { nativePath } from './native-path.js';
import { rxtlsPath } from './rxtls-path.js';

const MIB = 1024 * 1024;
const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 300);
const BULK_BYTES = Number(process.env.BENCH_BULK_MIB ?? 256) * MIB;
const WRITE_SIZE = 64 * 1024;
const IN_FLIGHT = 16;
const REPEATS = 3;
const WARMUP_HANDSHAKES = 60;
const WARMUP_BULK_BYTES = 32 * MIB;
const NS_PER_MS = 1e6;
const US_PER_MS = 1e3;

/** One measurement of one path. */
interface Sample {
  value: number;
  /** CPU microseconds (user + system) per unit of work, when measured. */
  cpu?: number;
}

async function makePki(): Promise<BenchPki> {
  const ca = await createCertificateAuthority({ subject: 'CN=rxtls bench CA', keyType: 'ec' });
  const leaf = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    keyType: 'ec',
  });
  return { ca, leaf };
}

/** Elapsed milliseconds and CPU microseconds of `work`. */
async function timed(work: () => Promise<void>): Promise<{ ms: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const ms = Number(process.hrtime.bigint() - start) / NS_PER_MS;
  const used = process.cpuUsage(cpu);
  return { ms, cpuUs: used.user + used.system };
}

async function sequentialHandshakes(path: TlsPath, n: number): Promise<Sample> {
  const { ms, cpuUs } = await timed(async () => {
    for (let i = 0; i < n; i++) await path.handshake();
  });
  return { value: (n * US_PER_MS) / ms, cpu: cpuUs / n };
}

async function concurrentHandshakes(path: TlsPath, n: number): Promise<Sample> {
  const perWorker = Math.ceil(n / IN_FLIGHT);
  const { ms, cpuUs } = await timed(async () => {
    const workers = Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = 0; i < perWorker; i++) await path.handshake();
    });
    await Promise.all(workers);
  });
  const total = perWorker * IN_FLIGHT;
  return { value: (total * US_PER_MS) / ms, cpu: cpuUs / total };
}

async function bulk(path: TlsPath, bytes: number): Promise<Sample> {
  const chunk = Buffer.alloc(WRITE_SIZE, 0x5a);
  const { ms, cpuUs } = await timed(() => path.bulk(bytes, chunk));
  return { value: bytes / MIB / (ms / US_PER_MS), cpu: cpuUs / (bytes / MIB) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Runs `measure` REPEATS times on each path, alternating, and returns the medians per path. */
async function compare(
  paths: TlsPath[],
  measure: (path: TlsPath) => Promise<Sample>,
): Promise<{ value: number; cpu: number }[]> {
  const samples: Sample[][] = paths.map(() => []);
  for (let r = 0; r < REPEATS; r++) {
    for (const [i, path] of paths.entries()) samples[i]?.push(await measure(path));
  }
  return samples.map((s) => ({
    value: median(s.map((x) => x.value)),
    cpu: median(s.map((x) => x.cpu ?? 0)),
  }));
}

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined ? '-' : value.toFixed(digits);
}

function onlyArgument(): string | undefined {
  const index = process.argv.indexOf('--only');
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const started = Date.now();
  const pki = await makePki();
  const only = onlyArgument();
  if (only !== undefined && only !== 'rxtls' && only !== 'native') {
    throw new Error(`--only ${only}: no such path (rxtls, native)`);
  }
  const paths: TlsPath[] = [];
  if (only !== 'native') paths.push(rxtlsPath(pki));
  if (only !== 'rxtls') paths.push(await nativePath(pki));

  for (const path of paths)
    console.log(`${path.name.padEnd(12)} negotiates ${await path.describe()}`);
  for (const path of paths) {
    for (let i = 0; i < WARMUP_HANDSHAKES; i++) await path.handshake();
    await path.bulk(WARMUP_BULK_BYTES, Buffer.alloc(WRITE_SIZE, 0x5a));
  }

  const sequential = await compare(paths, (p) => sequentialHandshakes(p, HANDSHAKES));
  const concurrent = await compare(paths, (p) => concurrentHandshakes(p, HANDSHAKES));
  const throughput = await compare(paths, (p) => bulk(p, BULK_BYTES));

  const rows: [string, number[], number][] = [
    [`handshakes/s, sequential (${HANDSHAKES})`, sequential.map((s) => s.value), 0],
    [`handshakes/s, ${IN_FLIGHT} in flight`, concurrent.map((s) => s.value), 0],
    ['CPU us per handshake, sequential', sequential.map((s) => s.cpu), 0],
    ['CPU us per handshake, concurrent', concurrent.map((s) => s.cpu), 0],
    [`bulk MiB/s (${BULK_BYTES / MIB} MiB, 64 KiB writes)`, throughput.map((s) => s.value), 1],
    ['CPU ms per MiB, bulk', throughput.map((s) => s.cpu / US_PER_MS), 2],
  ];
  const header = ['metric', ...paths.map((p) => p.name), 'ratio rxtls/native'];
  const table = rows.map(([metric, values, digits]) => [
    metric,
    ...values.map((v) => fmt(v, digits)),
    values.length === 2 ? fmt((values[0] as number) / (values[1] as number), 2) : '-',
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of table) console.log(line(row));
  console.log();
  console.log(
    `node ${process.version}, median of ${REPEATS} runs, ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  );
  for (const path of paths) await path.close();
}

await main();
