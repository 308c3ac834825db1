/**
 * A server on every core (createServer({ workers })): full handshakes per second and server CPU
 * per handshake with 1 and 2 worker processes on this machine, loaded by a Node tls client in
 * this process. With one worker, the worker is pinned to CPU 0 and the client to CPU 1; with two,
 * each worker has a CPU and the client shares them (a 2-core machine has no third). Server CPU is
 * every worker thread's, from the scheduler's counters.
 *
 * Run: npm run build && node dist/bench/workers.js   (BENCH_HANDSHAKES=N, default 2000)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { createServer } from '../src/endpoints/server.js';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';
import { cpuMicros } from './process-cpu.js';

const HANDSHAKES = Number(process.env['BENCH_HANDSHAKES'] ?? 2000);
const WARMUP = 300;
const CONCURRENCY = 16;
const WORKER_MODULE = fileURLToPath(new URL('./workers-echo.js', import.meta.url));

function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-pc', cpus, String(pid)], { stdio: 'ignore' });
}

function handshake(port: number, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      // Close as a well-behaved client does, so the server completes its handshake too.
      socket.once('close', () => resolve());
      socket.resume();
      socket.end();
    });
    socket.once('error', reject);
  });
}

async function load(total: number, port: number, ca: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < total) await handshake(port, ca);
    }),
  );
}

async function measure(workers: number, files: { cert: string; key: string }, ca: string) {
  const server = createServer({ workers, workerModule: WORKER_MODULE, workerData: files });
  const { port } = await server.listen(0);
  const pids = server.pids;
  if (workers === 1) {
    pin(pids[0] as number, '0');
    pin(process.pid, '1');
  } else {
    for (const [i, pid] of pids.entries()) pin(pid, String(i % 2));
    pin(process.pid, '0,1');
  }
  await load(WARMUP, port, ca);
  const cpuBefore = pids.map(cpuMicros);
  const start = process.hrtime.bigint();
  await load(HANDSHAKES, port, ca);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = pids.reduce((total, pid, i) => total + cpuMicros(pid) - (cpuBefore[i] as number), 0);
  const stats = await server.stats();
  await server.close({ timeoutMs: 1_000 });
  return {
    workers,
    perSecond: HANDSHAKES / seconds,
    cpuPerHandshake: cpu / HANDSHAKES,
    spread: stats.workers.map((w) => w.handshakesOk).join(' / '),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rxtls-bench-workers-'));
try {
  const authority = await createCertificateAuthority({ subject: 'CN=bench CA' });
  const leaf = await issueCertificate(authority, { subjectAltNames: { dns: ['localhost'] } });
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  writeFileSync(files.cert, leaf.cert);
  writeFileSync(files.key, leaf.key);
  console.log(`full TLS 1.3 handshakes, ${HANDSHAKES} per run, ${CONCURRENCY} in flight\n`);
  console.log('| workers | handshakes/s | server CPU µs/handshake | handshakes per worker |');
  console.log('| --: | --: | --: | --- |');
  for (const workers of [1, 2, 1, 2]) {
    const row = await measure(workers, files, authority.cert);
    console.log(
      `| ${row.workers} | ${row.perSecond.toFixed(0)} | ${row.cpuPerHandshake.toFixed(0)} | ${row.spread} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
