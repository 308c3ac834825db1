/**
 * HTTPS keep-alive requests (issue 14), in one run: requests per second and server CPU per
 * request, over http/1.1 and h2, for rxtls's createHttpsServer with a minimal handler, the demo
 * page (`rxtls serve --https`, the command users start), Node's https.createServer and Node's
 * http2.createSecureServer (allowHTTP1) with the same minimal handler (bench/https-servers.ts).
 * Each server is its own process pinned to CPU 0 (taskset, so every thread of it); h2load, the
 * load, is pinned to CPU 1: 10 connections, one request in flight on each, so a run measures
 * requests on open connections (10 handshakes in thousands of requests). Server CPU is every
 * thread's, from the scheduler's counters (see server-cpu.ts). Each cell is the median of
 * BENCH_ROUNDS runs after a warm-up, with the range in brackets: the machine may be shared.
 *
 * Run: npm run build && node dist/bench/https.js   (BENCH_REQUESTS=N per run, default 20000;
 * BENCH_ROUNDS=N, default 3; BENCH_SERVERS=demo,node picks servers whose name contains a word;
 * needs h2load, Debian's nghttp2-client)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';
import { cpuMicros } from './process-cpu.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 20_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const WARMUP_REQUESTS = 3_000;
const CONNECTIONS = 10;
const SERVERS_MODULE = fileURLToPath(new URL('./https-servers.js', import.meta.url));
const RXTLS_BIN = fileURLToPath(new URL('../../bin/rxtls.js', import.meta.url));

type Protocol = 'h1' | 'h2';

interface ServerKind {
  name: string;
  protocols: readonly Protocol[];
  args: (cert: string, key: string) => string[];
  /** How the server announces its port on stdout. */
  port: RegExp;
}

const SERVERS: readonly ServerKind[] = [
  {
    name: 'rxtls createHttpsServer, minimal handler',
    protocols: ['h1', 'h2'],
    args: (cert, key) => [SERVERS_MODULE, 'rxtls', cert, key],
    port: /LISTENING (\d+)/,
  },
  {
    name: 'rxtls serve --https (demo page)',
    protocols: ['h1', 'h2'],
    args: (cert, key) => [
      RXTLS_BIN,
      'serve',
      '--https',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--cert',
      cert,
      '--key',
      key,
    ],
    port: /listening on 127\.0\.0\.1:(\d+)/,
  },
  {
    name: 'node https.createServer, minimal handler',
    protocols: ['h1'],
    args: (cert, key) => [SERVERS_MODULE, 'node-https', cert, key],
    port: /LISTENING (\d+)/,
  },
  {
    name: 'node http2.createSecureServer, minimal handler',
    protocols: ['h1', 'h2'],
    args: (cert, key) => [SERVERS_MODULE, 'node-http2', cert, key],
    port: /LISTENING (\d+)/,
  },
];

/** Starts a server on CPU 0 (taskset execs node: the pid is the server's, every thread pinned). */
function start(
  kind: ServerKind,
  cert: string,
  key: string,
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '0', process.execPath, ...kind.args(cert, key)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = kind.port.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${kind.name} exited with ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One h2load run on CPU 1: requests per second, and whether every request succeeded. */
function h2load(port: number, protocol: Protocol, requests: number): number {
  const args = ['-c', '1', 'h2load', '-n', String(requests), '-c', String(CONNECTIONS)];
  if (protocol === 'h1') args.push('--h1');
  args.push(`https://127.0.0.1:${port}/`);
  const out = execFileSync('taskset', args, { encoding: 'utf8' });
  const done = /(\d+) succeeded, (\d+) failed/.exec(out);
  if (!done || Number(done[1]) !== requests)
    throw new Error(`h2load: not every request succeeded\n${out}`);
  return Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
}

interface Cell {
  rate: number[];
  cpu: number[];
}

async function measure(kind: ServerKind, cert: string, key: string): Promise<Map<Protocol, Cell>> {
  const { child, port } = await start(kind, cert, key);
  const cells = new Map<Protocol, Cell>();
  try {
    for (const protocol of kind.protocols) {
      h2load(port, protocol, WARMUP_REQUESTS);
      const cell: Cell = { rate: [], cpu: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const before = cpuMicros(child.pid as number);
        cell.rate.push(h2load(port, protocol, REQUESTS));
        cell.cpu.push((cpuMicros(child.pid as number) - before) / REQUESTS);
      }
      cells.set(protocol, cell);
    }
  } finally {
    await stop(child);
  }
  return cells;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function show(values: readonly number[] | undefined, digits: number): string {
  if (!values) return '-';
  const fixed = (n: number) => n.toFixed(digits);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return `${fixed(median(values))} [${fixed(low)}-${fixed(high)}]`;
}

const dir = mkdtempSync(join(tmpdir(), 'rxtls-bench-https-'));
try {
  execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const ca = await createCertificateAuthority({ subject: 'CN=bench CA' });
  const leaf = await issueCertificate(ca, { subjectAltNames: { dns: ['localhost'] } });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, leaf.cert);
  writeFileSync(key, leaf.key);
  console.log(
    `${REQUESTS} keep-alive GETs per run over ${CONNECTIONS} connections (h2: one stream in flight each), ` +
      `server on CPU 0, h2load on CPU 1; median [range] of ${ROUNDS} runs\n`,
  );
  const rows: string[][] = [['server', 'protocol', 'requests/s', 'server CPU µs/request']];
  const wanted = process.env['BENCH_SERVERS']?.split(',');
  for (const kind of SERVERS) {
    if (wanted && !wanted.some((word) => kind.name.includes(word))) continue;
    const cells = await measure(kind, cert, key);
    for (const [protocol, cell] of cells) {
      rows.push([kind.name, protocol, show(cell.rate, 0), show(cell.cpu, 1)]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
