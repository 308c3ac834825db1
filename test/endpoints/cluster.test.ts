/**
 * createServer({ workers }): a server whose worker processes all serve one address. The workers
 * run test/endpoints/fixtures/echo-worker.ts, which greets each client with its pid and echoes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import type { WorkerEvent } from '../../src/endpoints/cluster/server-cluster.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer } from '../../src/endpoints/server.js';
import { ValueError } from '../../src/errors/errors.js';
import { lines } from '../../src/protocol/framing.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { rejectionOf } from '../helpers/assert-error.js';
import { usePki } from '../helpers/pki.js';

const pki = usePki(test);
const WORKER_MODULE = fileURLToPath(new URL('./fixtures/echo-worker.js', import.meta.url));

/** A client of the echo workers: it knows which worker serves it, and reads line by line. */
class LineClient {
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string | null) => void)[] = [];
  #ended: string | null = null;
  pid = 0;

  constructor(readonly socket: SSLSocket) {
    socket.data$.pipe(lines({ maxLength: 1024 })).subscribe({
      next: (line) => this.#push(line as string),
      complete: () => this.#end('complete'),
      error: (error: Error) => this.#end(`error: ${error.name}`),
    });
  }

  static async open(port: number, suppressRaggedEofs = true): Promise<LineClient> {
    const context = createDefaultContext(Purpose.SERVER_AUTH, { cadata: pki.ca.cert });
    const socket = await connect({
      host: '127.0.0.1',
      port,
      context,
      serverHostname: 'localhost',
      suppressRaggedEofs,
    });
    const client = new LineClient(socket);
    client.pid = Number((await client.line())?.replace('pid ', ''));
    return client;
  }

  /** The next line, or null once the stream has ended. */
  line(): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** How the stream ended: 'complete' or 'error: <name>' (after line() answered null). */
  get ended(): string | null {
    return this.#ended;
  }

  async echo(text: string): Promise<string | null> {
    this.socket.write(`${text}\n`);
    return this.line();
  }

  #push(line: string): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(line);
    else this.#lines.push(line);
  }

  #end(how: string): void {
    this.#ended = how;
    for (const waiter of this.#waiting.splice(0)) waiter(null);
  }
}

function echoCluster(workers: number, extra: Record<string, unknown> = {}) {
  return createServer({
    workers,
    workerModule: WORKER_MODULE,
    workerData: { cert: pki.server.cert, key: pki.server.key, ...extra },
    shutdownTimeoutMs: 10_000,
  });
}

/** Opens clients until both of two workers serve at least one (each lands by the kernel's hash). */
async function clientsOnBoth(port: number, pids: number[]): Promise<LineClient[]> {
  const clients: LineClient[] = [];
  for (let i = 0; i < 64 && !pids.every((pid) => clients.some((c) => c.pid === pid)); i++) {
    clients.push(await LineClient.open(port));
  }
  return clients;
}

test('two workers serve one address; each connection is served by one of them; stats() adds them up', async () => {
  const server = echoCluster(2);
  const address = await server.listen(0);
  try {
    assert.is(server.pids.length, 2);
    const clients = await clientsOnBoth(address.port, server.pids);
    assert.equal(new Set(clients.map((c) => c.pid)), new Set(server.pids));
    for (const [i, client] of clients.entries())
      assert.is(await client.echo(`hello ${i}`), `hello ${i}`);
    const stats = await server.stats();
    assert.is(stats.workers.length, 2);
    assert.is(stats.connections, clients.length);
    assert.is(stats.handshakesOk, clients.length);
    assert.is(
      stats.workers.reduce((n, w) => n + w.handshakesOk, 0),
      stats.handshakesOk,
    );
    for (const client of clients) await client.socket.close();
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
  assert.equal(server.pids, []);
});

test('a worker killed with SIGKILL ends only its own connections, and a new worker takes its place', async () => {
  const server = echoCluster(2);
  const address = await server.listen(0);
  try {
    const [victim, survivor] = server.pids as [number, number];
    const clients = await clientsOnBoth(address.port, [victim, survivor]);
    const replaced = firstValueFrom(
      server.workers$.pipe(filter((e: WorkerEvent) => e.type === 'listening')),
    );
    process.kill(victim, 'SIGKILL');
    for (const client of clients.filter((c) => c.pid === victim)) {
      assert.is(await client.line(), null, 'a connection of the killed worker ends');
    }
    for (const [i, client] of clients.filter((c) => c.pid === survivor).entries()) {
      assert.is(await client.echo(`still here ${i}`), `still here ${i}`);
    }
    const event = await replaced;
    assert.ok(event.type === 'listening' && event.pid !== victim && event.pid !== survivor);
    assert.equal(new Set(server.pids), new Set([survivor, event.pid]));
    const fresh = await clientsOnBoth(address.port, server.pids);
    assert.ok(
      fresh.some((c) => c.pid === event.pid),
      'the new worker serves new connections',
    );
    for (const client of [...clients, ...fresh]) client.socket.abort();
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

test('close() drains every worker: each client gets close_notify, then the workers exit', async () => {
  const server = echoCluster(2);
  const address = await server.listen(0);
  const exits: WorkerEvent[] = [];
  server.workers$.subscribe((event) => exits.push(event));
  const clients: LineClient[] = [];
  for (let i = 0; i < 6; i++) clients.push(await LineClient.open(address.port, false));
  await server.close({ timeoutMs: 5_000 });
  for (const client of clients) {
    assert.is(await client.line(), null);
    // Without suppressed ragged EOFs, an EOF that is not close_notify would be SSLEOFError.
    assert.is(client.ended, 'complete');
  }
  assert.equal(
    exits.filter((e) => e.type === 'exit').map((e) => e.type === 'exit' && e.code),
    [0, 0],
  );
  assert.equal(server.pids, []);
});

test('a worker module that fails to set up makes listen() reject with its reason', async () => {
  const server = echoCluster(2, { failStart: true });
  const error = await rejectionOf(server.listen(0));
  assert.match((error as Error).message, 'could not start: this worker module cannot start');
  assert.equal(server.pids, []);
});

test("workers: 'node' TCP shares the address through node:cluster", async () => {
  const server = createServer({
    workers: 2,
    workerModule: WORKER_MODULE,
    workerData: { cert: pki.server.cert, key: pki.server.key },
    tcp: 'node',
  });
  const address = await server.listen(0);
  try {
    const client = await LineClient.open(address.port);
    assert.ok(server.pids.includes(client.pid));
    assert.is(await client.echo('via cluster'), 'via cluster');
    await client.socket.close();
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

test('createServer({ workers }) refuses what cannot cross to a worker process, and bad counts', () => {
  const module = WORKER_MODULE;
  const refused = (error: Error) => error instanceof ValueError;
  assert.throws(() => createServer({ workers: 0, workerModule: module }), refused);
  assert.throws(() => createServer({ workers: 1.5, workerModule: module }), refused);
  assert.throws(
    () => createServer({ workers: 2 } as unknown as Parameters<typeof createServer>[0]),
    (error: Error) => error instanceof ValueError && /needs workerModule/.test(error.message),
  );
  assert.throws(
    () =>
      createServer({
        workers: 2,
        workerModule: module,
        context: pki.server,
      } as unknown as Parameters<typeof createServer>[0]),
    (error: Error) => error instanceof ValueError && /context cannot cross/.test(error.message),
  );
});

test("reload() runs every worker's reload hook: new connections get the new certificate, a refused reload keeps it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-cluster-reload-'));
  const certfile = join(dir, 'cert.pem');
  const keyfile = join(dir, 'key.pem');
  writeFileSync(certfile, pki.server.cert);
  writeFileSync(keyfile, pki.server.key);
  const server = echoCluster(2, { reloadFrom: { certfile, keyfile } });
  try {
    const { port } = await server.listen(0, '127.0.0.1');
    const kept = await LineClient.open(port);
    writeFileSync(certfile, pki.serverRsa.cert);
    writeFileSync(keyfile, pki.serverRsa.key);
    const reloads = await server.reload();
    assert.equal(reloads.map((r) => [r.id, r.ok]).sort(), [
      [1, true],
      [2, true],
    ]);
    for (let i = 0; i < 8; i++) {
      const client = await LineClient.open(port);
      assert.equal(client.socket.getpeercert(true), pki.serverRsa.der);
      await client.socket.close();
    }
    writeFileSync(keyfile, pki.server.key);
    const refused = await server.reload();
    assert.is(refused.length, 2);
    for (const result of refused) {
      assert.is(result.ok, false);
      assert.match(result.message ?? '', /no certificate assigned; the previous certificates stay/);
    }
    const after = await LineClient.open(port);
    assert.equal(after.socket.getpeercert(true), pki.serverRsa.der);
    await after.socket.close();
    assert.is(await kept.echo('still here'), 'still here');
    assert.equal(kept.socket.getpeercert(true), pki.server.der);
    await kept.socket.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
