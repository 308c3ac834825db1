/**
 * createServer({ workers }) shares one session ticket key ring: the primary keeps and rotates it
 * and sends it to every worker, and to a replacement before it listens, so any worker resumes a
 * session any other issued, across rotations. The workers run fixtures/echo-worker.ts, which
 * greets each client with its pid.
 */
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, ReplaySubject, take, timeout, toArray } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import type { TicketKeyEvent } from '../../src/context/session-tickets/ticket-key-rotation.js';
import type { ServerCluster, WorkerEvent } from '../../src/endpoints/cluster/server-cluster.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer } from '../../src/endpoints/server.js';
import type { SSLSession } from '../../src/transport/sansio/ssl-object.js';
import { usePki } from '../helpers/pki.js';

const test = suite('clustered server: one ticket key ring');
const pki = usePki(test);
const WORKER_MODULE = fileURLToPath(new URL('./fixtures/echo-worker.js', import.meta.url));
const DEADLINE_MS = 30_000;

function echoCluster(ticketKeys?: object): ServerCluster {
  return createServer({
    workers: 2,
    workerModule: WORKER_MODULE,
    workerData: { cert: pki.server.cert, key: pki.server.key },
    shutdownTimeoutMs: 5_000,
    ...(ticketKeys ? { ticketKeys } : {}),
  }) as ServerCluster;
}

/** One connection: which worker served it, whether it resumed, and the session it ends with. */
async function visit(
  port: number,
  session: SSLSession | null,
): Promise<{ pid: number; reused: boolean; session: SSLSession | null }> {
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cadata: pki.ca.cert });
  const socket = await connect({
    host: '127.0.0.1',
    port,
    context,
    serverHostname: 'localhost',
    session,
  });
  // The greeting comes after the TLS 1.3 tickets: the session is complete once it is read.
  const greeting = await firstValueFrom(socket.data$.pipe(timeout(DEADLINE_MS)));
  const pid = Number(/pid (\d+)/.exec(Buffer.from(greeting).toString())?.[1]);
  const visited = { pid, reused: socket.sessionReused, session: socket.session };
  await socket.close();
  return visited;
}

/** Resumes `session` until every pid of `pids` has resumed it at least once (bounded). */
async function resumeOnAll(port: number, session: SSLSession, pids: number[]): Promise<number> {
  const seen = new Set<number>();
  let visits = 0;
  for (; visits < 128 && !pids.every((pid) => seen.has(pid)); visits++) {
    const again = await visit(port, session);
    assert.ok(again.reused, `visit ${visits} (worker ${again.pid}) resumed`);
    seen.add(again.pid);
  }
  assert.ok(
    pids.every((pid) => seen.has(pid)),
    `every worker resumed: ${[...seen]} of ${pids}`,
  );
  return visits;
}

test('a session from one worker resumes on every worker, and on a replacement worker', async () => {
  const server = echoCluster();
  const { port } = await server.listen(0);
  try {
    const first = await visit(port, null);
    assert.is(first.reused, false);
    const session = first.session as SSLSession;
    await resumeOnAll(port, session, server.pids);
    const [victim, survivor] = server.pids as [number, number];
    const replaced = firstValueFrom(
      server.workers$.pipe(
        filter((event: WorkerEvent) => event.type === 'listening'),
        timeout(DEADLINE_MS),
      ),
    );
    process.kill(victim, 'SIGKILL');
    const event = await replaced;
    // The replacement got the ring before it listened: the old session resumes there too.
    await resumeOnAll(port, session, [survivor, event.pid]);
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

test('across rotations every worker takes each new ring; the older keys still decrypt', async () => {
  const server = echoCluster({ rotateEveryMs: 200, keep: 64, syncEveryMs: 50 });
  const events = new ReplaySubject<TicketKeyEvent>();
  server.ticketKeys$.subscribe(events);
  const { port } = await server.listen(0);
  try {
    const first = await visit(port, null);
    const applied = events.pipe(filter((event) => event.type === 'applied'));
    await firstValueFrom(applied.pipe(take(4), toArray(), timeout(DEADLINE_MS)));
    // Rings are sent to the workers as they are applied; the first key is still in any of them.
    await resumeOnAll(port, first.session as SSLSession, server.pids);
    const fresh = await visit(port, null);
    await resumeOnAll(port, fresh.session as SSLSession, server.pids);
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

test.run();
