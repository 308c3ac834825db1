/**
 * Session resumption everywhere (README, Production serving › Session resumption everywhere):
 *
 * 1. across workers: `rxtls serve --echo --workers 2`; one session, from the first connection,
 *    presented again and again: how many resume (the kernel spreads them over both workers);
 * 2. across processes through Redis: two `rxtls serve --ticket-store redis://...`; a session from
 *    one presented to the other, and back;
 * 3. what the Redis store costs per handshake: full and resumed handshakes per second against one
 *    `rxtls serve` with `--ticket-store memory`, then `redis://` (alternating, median of 5).
 *
 * The client is Node's tls in this process (16 handshakes in flight for rates). Redis is Debian's
 * redis-server on a free port (test/helpers/redis.ts), stopped at the end.
 *
 * Run: npm run build && node dist/bench/resumption.js   (BENCH_HANDSHAKES=N, default 1000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { startRedis, type TestRedis } from '../test/helpers/redis.js';

const HANDSHAKES = Number(process.env['BENCH_HANDSHAKES'] ?? 1000);
const CONCURRENCY = 16;
const BIN = fileURLToPath(new URL('../../bin/rxtls.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'rxtls-bench-resumption-'));
const children: ChildProcess[] = [];
/** The tests' own Redis (test/helpers/redis.ts): a redis-server on a free port, nothing kept. */
let redis: TestRedis | undefined;

/** Starts a child and resolves with the first match of `ready` in its stdout. */
function start(command: string, args: string[], ready: RegExp): Promise<RegExpExecArray> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) {
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(match);
      }
    });
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}): ${out}`)));
  });
}

async function serve(...args: string[]): Promise<number> {
  const match = await start(
    process.execPath,
    [BIN, 'serve', '--echo', '--port', '0', ...args],
    /listening on \S+:(\d+)\n/,
  );
  return Number(match[1]);
}

/** One handshake (and one echo, which carries the TLS 1.3 tickets): resumed?, the new session. */
let ca: Buffer | undefined;

function visit(port: number, session?: Buffer): Promise<{ reused: boolean; session?: Buffer }> {
  ca ??= readFileSync(join(cwd, '.rxtls/ca.pem'));
  return new Promise((resolve, reject) => {
    let latest: Buffer | undefined;
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', session });
    socket.on('session', (s: Buffer) => {
      latest = s;
    });
    socket.once('secureConnect', () => socket.write('x'));
    socket.once('data', () => {
      const reused = socket.isSessionReused();
      socket.end();
      socket.once('close', () => resolve({ reused, session: latest }));
    });
    socket.once('error', reject);
  });
}

/** How many of `count` connections to each of `ports` (in turn) resume `session`. */
async function resumed(ports: number[], session: Buffer, count: number): Promise<number> {
  let reused = 0;
  for (let i = 0; i < count; i++) {
    if ((await visit(ports[i % ports.length] as number, session)).reused) reused++;
  }
  return reused;
}

/** Handshakes per second, CONCURRENCY in flight: full ones, or all resuming `session`. */
async function rate(port: number, count: number, session?: Buffer): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) await visit(port, session);
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

async function main(): Promise<void> {
  const resumptions = Math.min(HANDSHAKES, 500);
  // 1. across workers
  const workers = await serve('--workers', '2');
  const first = await visit(workers);
  const onWorkers = await resumed([workers], first.session as Buffer, resumptions);
  console.log(
    `across 2 workers: ${onWorkers}/${resumptions} resumed (${pct(onWorkers, resumptions)})`,
  );

  // 2. across processes through Redis
  redis = await startRedis();
  const [a, b] = [
    await serve('--ticket-store', redis.url),
    await serve('--ticket-store', redis.url),
  ];
  const fromA = await visit(a);
  const onB = await resumed([b], fromA.session as Buffer, resumptions);
  const fromB = await visit(b);
  const onA = await resumed([a], fromB.session as Buffer, resumptions);
  console.log(
    `across 2 processes through Redis: A's session on B ${onB}/${resumptions} (${pct(onB, resumptions)}), B's on A ${onA}/${resumptions} (${pct(onA, resumptions)})`,
  );

  // 3. the store's cost per handshake
  const memory = await serve('--ticket-store', 'memory');
  const full: Record<string, number[]> = { memory: [], redis: [] };
  const resumedRates: Record<string, number[]> = { memory: [], redis: [] };
  const sessions = {
    memory: (await visit(memory)).session as Buffer,
    redis: (await visit(a)).session as Buffer,
  };
  await rate(memory, 200);
  await rate(a, 200);
  for (let round = 0; round < 5; round++) {
    for (const [name, port] of [
      ['memory', memory],
      ['redis', a],
    ] as const) {
      full[name]?.push(await rate(port, HANDSHAKES));
      resumedRates[name]?.push(await rate(port, HANDSHAKES, sessions[name]));
    }
  }
  for (const name of ['memory', 'redis'] as const) {
    console.log(
      `--ticket-store ${name}: ${median(full[name] as number[])?.toFixed(0)} full handshakes/s, ${median(resumedRates[name] as number[])?.toFixed(0)} resumed handshakes/s (median of 5, ${HANDSHAKES} each, ${CONCURRENCY} in flight)`,
    );
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
    void redis?.stop();
    setTimeout(() => rmSync(cwd, { recursive: true, force: true }), 1000);
  });
