/**
 * Server cost per unit of work, side by side in one run (issues 6 and 16): the rxtls echo server
 * on the native engine and on the node engine, Node's native `tls` echo server, a Python asyncio +
 * uvloop TLS echo server (Debian's python3-uvloop), nginx (HTTPS, handshakes and idle memory only)
 * and HAProxy (TLS terminated and forwarded to a plain TCP echo); a server whose software is
 * missing is skipped with one line. Each server runs in its own process, loaded by the same Node
 * `tls` client from this process; its CPU (all threads, from the scheduler's counters in /proc)
 * and RSS are read around each workload, after warm-up rounds. The servers run on one core and this
 * process on the other (bench/cpu-pin.ts); every server is measured once per round, the rounds
 * interleaved, and each cell is the median over the rounds (the range is printed too). Missing
 * peers are installed with apt-get where the bench may (bench/peers.ts). Progress goes to stderr;
 * the table to stdout, and as a chart to bench/results/server-cpu.svg (BENCH_SVG=path, or
 * BENCH_SVG= none).
 *
 * Run: npm run build && node dist/bench/server-cpu.js   (BENCH_SCALE=0.5 for a quicker run;
 * BENCH_ROUNDS=N measured rounds, default 3; BENCH_WARMUP=N warm-up rounds, default 3;
 * BENCH_SERVERS=native,uvloop picks servers by name; BENCH_PIN=0 leaves the scheduler alone)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import tls from 'node:tls';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';
import { serverCpuChart } from './chart-svg.js';
import { CLIENT_CPU, pin, pinningEnabled, SERVER_CPU } from './cpu-pin.js';
import {
  installed,
  installMissingPeers,
  type PeerProcess,
  startHaproxy,
  startNginx,
  uvloopInstalled,
} from './peers.js';
import { cpuMicros } from './process-cpu.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const HANDSHAKES = Math.round(600 * SCALE);
const CONCURRENCY = 16;
const BULK_MIB = Math.round(128 * SCALE);
const PING_PONGS = Math.round(3000 * SCALE);
const FANOUT_CONNECTIONS = 200;
const FANOUT_MESSAGES = Math.round(50 * SCALE);
const IDLE_CONNECTIONS = 2000;
/** Connections made and closed on the fresh server before its idle memory is measured. */
const IDLE_WARMUP = 500;
/** A pause for the server to finish its last connections before RSS is read. */
const SETTLE_MS = 500;
const CHUNK = 64 * 1024;
const WARMUP_ROUNDS = Number(process.env['BENCH_WARMUP'] ?? 3);
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));

/** What a server answers: an echo (every workload), or HTTPS (handshakes and idle memory). */
type ServerKind = 'echo' | 'https';

interface Server {
  name: string;
  kind: ServerKind;
  child: ChildProcess;
  port: number;
  /** Processes that run beside it and are not counted (HAProxy's backend echo). */
  helpers: ChildProcess[];
}

const t0 = Date.now();
/** One line of progress on stderr (the run takes minutes). */
function progress(message: string): void {
  console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${message}`);
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return Number(line?.[1] ?? 0);
}

/** Starts a server that prints `LISTENING <port>` once it listens. */
function startListening(command: string, args: string[]): Promise<PeerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), helpers: [] });
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${out}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function stop(server: Server): Promise<void> {
  await stopProcess(server.child);
  for (const helper of server.helpers) await stopProcess(helper);
}

let ca = '';
const connectOptions = (port: number, session?: Buffer): tls.ConnectionOptions => ({
  host: '127.0.0.1',
  port,
  ca,
  servername: 'localhost',
  ...(session ? { session } : {}),
});

function connectOnce(port: number, session?: Buffer): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(connectOptions(port, session), () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Ends a connection as a well-behaved client does, and waits until the server has closed it:
 * close_notify and FIN follow the client's Finished, so the server completes the handshake.
 * (Node's client reports secureConnect from inside its handshake call, before its Finished has
 * left: a destroy() there abandons the handshake, and the server never completes it. Until stop
 * 10 the handshake columns measured that; it is the abandoned column now.)
 */
function closeGracefully(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.on('error', () => undefined);
    socket.resume();
    socket.end();
  });
}

async function inParallel(
  total: number,
  width: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

/** CPU the server spent while `work` ran, in microseconds. */
async function serverCpu(server: Server, work: () => Promise<void>): Promise<number> {
  const pid = server.child.pid as number;
  const before = cpuMicros(pid);
  await work();
  return cpuMicros(pid) - before;
}

/** Full handshakes, each completed on both sides and closed with close_notify. */
async function handshakes(server: Server): Promise<number> {
  const cpu = await serverCpu(server, () =>
    inParallel(HANDSHAKES, CONCURRENCY, async () => {
      await closeGracefully(await connectOnce(server.port));
    }),
  );
  return cpu / HANDSHAKES;
}

/**
 * Handshakes the client abandons once its side is done, before its Finished leaves (a health
 * check or a scanner that hangs up): the server does the full handshake's work but its last step,
 * and fails it on the EOF.
 */
async function abandonedHandshakes(server: Server): Promise<number> {
  const cpu = await serverCpu(server, () =>
    inParallel(HANDSHAKES, CONCURRENCY, async () => {
      (await connectOnce(server.port)).destroy();
    }),
  );
  return cpu / HANDSHAKES;
}

async function resumedHandshakes(server: Server): Promise<number> {
  const first = await connectOnce(server.port);
  first.write('x');
  const session = await new Promise<Buffer>((resolve) => first.once('session', resolve));
  first.destroy();
  let reused = 0;
  const cpu = await serverCpu(server, () =>
    inParallel(HANDSHAKES, CONCURRENCY, async () => {
      const socket = await connectOnce(server.port, session);
      if (socket.isSessionReused()) reused++;
      await closeGracefully(socket);
    }),
  );
  if (reused < HANDSHAKES / 2) return Number.NaN;
  return cpu / HANDSHAKES;
}

async function bulk(server: Server): Promise<number> {
  const socket = await connectOnce(server.port);
  const total = BULK_MIB * 1024 * 1024;
  const chunk = Buffer.alloc(CHUNK, 7);
  const cpu = await serverCpu(server, async () => {
    let received = 0;
    const done = new Promise<void>((resolve) =>
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= total) resolve();
      }),
    );
    for (let sent = 0; sent < total; sent += CHUNK) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    await done;
  });
  socket.destroy();
  return cpu / BULK_MIB;
}

async function pingPong(server: Server): Promise<{ cpu: number; median: number; p99: number }> {
  const socket = await connectOnce(server.port);
  const message = Buffer.alloc(64, 1);
  const rtts: number[] = [];
  const cpu = await serverCpu(server, async () => {
    for (let i = 0; i < PING_PONGS; i++) {
      const t0 = process.hrtime.bigint();
      const echoed = new Promise<void>((resolve) => {
        let got = 0;
        const onData = (data: Buffer) => {
          got += data.length;
          if (got >= message.length) {
            socket.off('data', onData);
            resolve();
          }
        };
        socket.on('data', onData);
      });
      socket.write(message);
      await echoed;
      rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  });
  socket.destroy();
  rtts.sort((a, b) => a - b);
  return {
    cpu: cpu / PING_PONGS,
    median: rtts[Math.floor(rtts.length / 2)] ?? 0,
    p99: rtts[Math.floor(rtts.length * 0.99)] ?? 0,
  };
}

async function fanOut(server: Server): Promise<{ cpu: number; perSecond: number }> {
  const sockets = await Promise.all(
    Array.from({ length: FANOUT_CONNECTIONS }, () => connectOnce(server.port)),
  );
  const message = Buffer.alloc(64, 2);
  const t0 = process.hrtime.bigint();
  const cpu = await serverCpu(server, () =>
    Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            let got = 0;
            let sent = 1;
            socket.on('data', (data: Buffer) => {
              got += data.length;
              if (got >= sent * message.length) {
                if (sent === FANOUT_MESSAGES) return resolve();
                sent++;
                socket.write(message);
              }
            });
            socket.write(message);
          }),
      ),
    ).then(() => undefined),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const socket of sockets) socket.destroy();
  const messages = FANOUT_CONNECTIONS * FANOUT_MESSAGES;
  return { cpu: cpu / messages, perSecond: messages / seconds };
}

/**
 * RSS growth per idle connection, measured on a fresh server after IDLE_WARMUP connections: after
 * the other workloads a garbage-collected server has free heap to spare, and new connections
 * would fill it without growing RSS (a flattering number that earlier runs of this bench took
 * for the truth).
 */
async function idleMemory(server: Server): Promise<number> {
  const pid = server.child.pid as number;
  await inParallel(IDLE_WARMUP, CONCURRENCY, async () => {
    (await connectOnce(server.port)).destroy();
  });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const before = rssKiB(pid);
  const sockets: tls.TLSSocket[] = [];
  await inParallel(IDLE_CONNECTIONS, CONCURRENCY, async () => {
    sockets.push(await connectOnce(server.port));
  });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const after = rssKiB(pid);
  for (const socket of sockets) socket.destroy();
  return (after - before) / IDLE_CONNECTIONS;
}

interface Row {
  name: string;
  handshake: number;
  resumed: number;
  abandoned: number;
  perMiB: number;
  pingCpu: number;
  pingMedian: number;
  pingP99: number;
  fanCpu: number;
  fanRate: number;
  idleKiB: number;
}

/**
 * Runs every workload before measuring it: a server that runs for hours has its JIT done (V8's
 * optimizing compiler costs a JavaScript server CPU on its first thousands of connections, which
 * a short run would count as per-connection cost). BENCH_WARMUP=0 measures a cold server.
 */
async function warmUp(server: Server): Promise<void> {
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    progress(`${server.name}: warm-up round ${round + 1} of ${WARMUP_ROUNDS}`);
    await handshakes(server);
    await resumedHandshakes(server);
    await abandonedHandshakes(server);
    if (server.kind !== 'echo') continue;
    await bulk(server);
    await pingPong(server);
    await fanOut(server);
  }
}

const NO_ECHO = { cpu: Number.NaN, median: Number.NaN, p99: Number.NaN, perSecond: Number.NaN };

/** One measure of every workload the server does (idle memory is measured on fresh servers). */
async function measure(server: Server, round: number): Promise<Row> {
  const step = (what: string) => progress(`${server.name}: round ${round}, ${what}`);
  step(`${HANDSHAKES} full handshakes`);
  const handshake = await handshakes(server);
  step(`${HANDSHAKES} resumed handshakes`);
  const resumed = await resumedHandshakes(server);
  step(`${HANDSHAKES} abandoned handshakes`);
  const abandoned = await abandonedHandshakes(server);
  const echoes = server.kind === 'echo';
  if (echoes) step(`${BULK_MIB} MiB bulk echo`);
  const perMiB = echoes ? await bulk(server) : Number.NaN;
  if (echoes) step(`${PING_PONGS} ping-pongs`);
  const ping = echoes ? await pingPong(server) : NO_ECHO;
  if (echoes) step(`fan-out over ${FANOUT_CONNECTIONS} connections`);
  const fan = echoes ? await fanOut(server) : NO_ECHO;
  return {
    name: server.name,
    handshake,
    resumed,
    abandoned,
    perMiB,
    pingCpu: ping.cpu,
    pingMedian: ping.median,
    pingP99: ping.p99,
    fanCpu: fan.cpu,
    fanRate: fan.perSecond,
    idleKiB: Number.NaN,
  };
}

/** A server the bench can run: its name, what it answers, and how to start a fresh one. */
interface Contender {
  name: string;
  kind: ServerKind;
  start(): Promise<PeerProcess>;
}

async function contenders(dir: string, cert: string, key: string): Promise<Contender[]> {
  const serverScript = new URL('./echo-server.js', import.meta.url).pathname;
  // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the Node servers.
  const nodeArgs = process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const node = (name: string, kind: string): Contender => ({
    name,
    kind: 'echo',
    start: () => startListening(process.execPath, [...nodeArgs, serverScript, kind, cert, key]),
  });
  const list: Contender[] = [
    node('rxtls (native engine)', 'rxtls-native'),
    node('rxtls (native engine, subscriber keeps chunks)', 'rxtls-native-owned'),
    node('rxtls (node engine)', 'rxtls-node'),
    node('node native tls', 'node-native'),
  ];
  const uvloopScript = new URL('../../bench/uvloop-echo.py', import.meta.url).pathname;
  if (uvloopInstalled())
    list.push({
      name: 'python uvloop',
      kind: 'echo',
      start: () => startListening('/usr/bin/python3', [uvloopScript, cert, key]),
    });
  else progress('python3-uvloop not installed: skipping python uvloop');
  if (installed('nginx'))
    list.push({ name: 'nginx', kind: 'https', start: () => startNginx(dir, cert, key) });
  else progress('nginx not installed (apt-get install nginx): skipping nginx');
  if (installed('haproxy'))
    list.push({ name: 'haproxy', kind: 'echo', start: () => startHaproxy(dir, cert, key) });
  else progress('haproxy not installed (apt-get install haproxy): skipping haproxy');
  return list;
}

/** Starts a contender, the server on the server's core and its helpers on the client's. */
async function start(contender: Contender): Promise<Server> {
  const server: Server = {
    name: contender.name,
    kind: contender.kind,
    ...(await contender.start()),
  };
  try {
    pin(server.child.pid, SERVER_CPU);
    for (const helper of server.helpers) pin(helper.pid, CLIENT_CPU);
  } catch (error) {
    await stop(server);
    throw error;
  }
  return server;
}

/** Idle memory of a fresh server (see idleMemory). */
async function freshIdleMemory(contender: Contender, round: number): Promise<number> {
  progress(
    `${contender.name}: round ${round}, idle memory of ${IDLE_CONNECTIONS} connections, fresh server`,
  );
  const fresh = await start(contender);
  try {
    return await idleMemory(fresh);
  } finally {
    await stop(fresh);
  }
}

const COLUMNS = [
  'handshake',
  'resumed',
  'abandoned',
  'perMiB',
  'pingCpu',
  'pingMedian',
  'pingP99',
  'fanCpu',
  'fanRate',
  'idleKiB',
] as const;

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Each column's median over the rounds. */
function medianRow(rounds: Row[]): Row {
  const row = { ...(rounds[0] as Row) };
  for (const column of COLUMNS) row[column] = median(rounds.map((r) => r[column]));
  return row;
}

/**
 * Every contender is started and warmed up, then measured once per round, the rounds interleaved
 * (a slow minute of the machine then falls on every server, not on one); then each one's idle
 * memory on a fresh server, once per round. Returns every round of every contender that ran.
 */
async function runAll(chosen: Contender[]): Promise<{ contender: Contender; rounds: Row[] }[]> {
  const running: { contender: Contender; server: Server; rounds: Row[] }[] = [];
  try {
    for (const contender of chosen) {
      progress(`${contender.name}: starting`);
      let server: Server | undefined;
      try {
        server = await start(contender);
        await warmUp(server);
        running.push({ contender, server, rounds: [] });
      } catch (error) {
        progress(`${contender.name}: failed, skipped (${(error as Error).message})`);
        if (server) await stop(server);
      }
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const entry of running) entry.rounds.push(await measure(entry.server, round));
    }
  } finally {
    for (const { server } of running) await stop(server);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const entry of running) {
      (entry.rounds[round - 1] as Row).idleKiB = await freshIdleMemory(entry.contender, round);
    }
  }
  return running.map(({ contender, rounds }) => ({ contender, rounds }));
}

function writeChart(rows: Row[], subtitle: string): void {
  const target =
    process.env['BENCH_SVG'] ??
    new URL('../../bench/results/server-cpu.svg', import.meta.url).pathname;
  if (!target) return;
  const svg = serverCpuChart(
    'bench/server-cpu: server CPU per operation, and memory per idle connection',
    subtitle,
    rows.map((r) => r.name),
    [
      { title: 'µs / full handshake', values: rows.map((r) => r.handshake), digits: 0 },
      { title: 'µs / resumed', values: rows.map((r) => r.resumed), digits: 0 },
      { title: 'ms / MiB echoed', values: rows.map((r) => r.perMiB / 1000), digits: 2 },
      { title: 'µs / ping-pong', values: rows.map((r) => r.pingCpu), digits: 0 },
      { title: 'KiB / idle connection', values: rows.map((r) => r.idleKiB), digits: 1 },
    ],
  );
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, svg);
  progress(`chart written to ${target}`);
}

async function main(): Promise<void> {
  installMissingPeers(progress);
  pin(process.pid, CLIENT_CPU);
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-bench-'));
  const authority = await createCertificateAuthority({ subject: 'CN=bench CA' });
  const leaf = await issueCertificate(authority, {
    subject: 'CN=localhost',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
  });
  ca = authority.cert;
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, leaf.cert);
  writeFileSync(key, leaf.key);
  const kinds = await contenders(dir, cert, key);
  // BENCH_SERVERS=native,uvloop runs only the servers whose names contain one of the words.
  const only = process.env['BENCH_SERVERS']?.split(',');
  const chosen = only
    ? kinds.filter(({ name }) => only.some((word) => name.includes(word)))
    : kinds;
  let results: { contender: Contender; rounds: Row[] }[];
  try {
    results = await runAll(chosen);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.map(({ rounds }) => medianRow(rounds));
  const fmt = (n: number, digits = 0) => (Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
  const pinned = pinningEnabled() ? 'server pinned to one core, client to the other' : 'unpinned';
  const subtitle = `2 cores, ${pinned}; ${HANDSHAKES} handshakes, ${BULK_MIB} MiB bulk, ${PING_PONGS} ping-pongs, ${FANOUT_CONNECTIONS}x${FANOUT_MESSAGES} fan-out, ${IDLE_CONNECTIONS} idle; median of ${ROUNDS} rounds, each after ${WARMUP_ROUNDS} warm-up rounds`;
  console.log(`\nserver cost per unit of work (${subtitle})\n`);
  console.log(
    '| server | CPU µs/handshake | CPU µs/resumed | CPU µs/abandoned | CPU ms/MiB | CPU µs/ping-pong | RTT median µs | RTT p99 µs | CPU µs/fan-out msg | fan-out msg/s | RSS KiB/idle conn |',
  );
  console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.handshake)} | ${fmt(r.resumed)} | ${fmt(r.abandoned)} | ${fmt(r.perMiB / 1000, 2)} | ${fmt(r.pingCpu)} | ${fmt(r.pingMedian)} | ${fmt(r.pingP99)} | ${fmt(r.fanCpu)} | ${fmt(r.fanRate)} | ${fmt(r.idleKiB, 1)} |`,
    );
  }
  // The spread over the rounds, of the measures the issue sets targets for.
  const range = (rounds: Row[], column: (typeof COLUMNS)[number], scale = 1, digits = 0) => {
    const values = rounds.map((r) => r[column] / scale).filter((v) => !Number.isNaN(v));
    return values.length === 0
      ? 'n/a'
      : `${fmt(Math.min(...values), digits)}-${fmt(Math.max(...values), digits)}`;
  };
  console.log(`\nrange over the ${ROUNDS} rounds\n`);
  console.log(
    '| server | CPU µs/handshake | CPU µs/resumed | CPU ms/MiB | CPU µs/ping-pong | CPU µs/fan-out msg | RSS KiB/idle conn |',
  );
  console.log('| --- | --: | --: | --: | --: | --: | --: |');
  for (const { contender, rounds } of results) {
    console.log(
      `| ${contender.name} | ${range(rounds, 'handshake')} | ${range(rounds, 'resumed')} | ${range(rounds, 'perMiB', 1000, 2)} | ${range(rounds, 'pingCpu')} | ${range(rounds, 'fanCpu')} | ${range(rounds, 'idleKiB', 1, 1)} |`,
    );
  }
  writeChart(rows, `${new Date().toISOString().slice(0, 16)} UTC, ${subtitle}`);
}

await main();
