/**
 * The entry of a clustered server's worker process. The primary (server-cluster.ts) forks it and
 * tells it, over IPC, which module sets it up and where to listen; it then runs one ordinary
 * Server and answers the primary's requests for its stats and its shutdown. Signals are the
 * primary's to handle: it drains every worker itself (docs/architecture.md, Serving on every core).
 */
import { pathToFileURL } from 'node:url';
import { ServerMetrics } from '../metrics/server-metrics.js';
import { type Server, createServer } from '../server.js';
import { isClusterMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';
import type { WorkerSetupFunction } from './worker-setup.js';

/** How long a worker whose primary went away waits for its clients' close_notify. */
const ORPHAN_SHUTDOWN_MS = 5_000;

let server: Server | undefined;
let metrics: ServerMetrics | undefined;
let reloadHook: (() => void | Promise<void>) | undefined;
let stopping = false;
/** The newest ticket key ring the primary sent (base64), applied once the server exists. */
let ticketKeys: string | null = null;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function start(message: Extract<PrimaryMessage, { rxtls: 'start' }>): Promise<void> {
  const url = message.module.startsWith('file:')
    ? message.module
    : pathToFileURL(message.module).href;
  const loaded = (await import(url)) as { default?: WorkerSetupFunction };
  if (typeof loaded.default !== 'function') {
    throw new TypeError(`${message.module} has no default export to set a worker up`);
  }
  // Counting from before the first connection, so that no stream's start goes unseen.
  if (message.metrics) metrics = new ServerMetrics();
  const { onSocket, reload, ...own } = await loaded.default({
    id: message.id,
    count: message.count,
    data: message.data,
  });
  reloadHook = reload;
  server = createServer(
    { ...message.options, ...own, tcp: message.tcp, reusePort: message.tcp === 'native' },
    onSocket,
  );
  // The primary's ring, before the first connection: every worker resumes every other's sessions.
  setTicketKeys(ticketKeys);
  send({ rxtls: 'listening', address: await server.listen(message.port, message.host) });
}

/** Answers the primary's metrics request with this worker's figures (none without metrics). */
async function answerMetrics(request: number): Promise<void> {
  const figures = metrics ? await metrics.metricsAsJSON() : [];
  send({ rxtls: 'metrics', request, metrics: figures });
}

/** Applies the primary's ticket key ring to this worker's context (new handshakes only). */
function setTicketKeys(keys: string | null): void {
  ticketKeys = keys;
  if (keys !== null) server?.context.setTicketKeys(Buffer.from(keys, 'base64'));
}

/** Runs the setup's reload hook and tells the primary how it went. */
async function reloadWorker(request: number): Promise<void> {
  try {
    await reloadHook?.();
    send({ rxtls: 'reloaded', request, ok: true });
  } catch (error) {
    send({
      rxtls: 'reloaded',
      request,
      ok: false,
      message: (error as Error)?.message ?? String(error),
    });
  }
}

/** Closes the server (close_notify to every client, up to `timeoutMs`) and ends the process. */
async function stop(timeoutMs: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server?.close({ timeoutMs });
  process.exit(0);
}

process.on('message', (message: unknown) => {
  if (!isClusterMessage<PrimaryMessage>(message)) return;
  switch (message.rxtls) {
    case 'start':
      ticketKeys = message.ticketKeys;
      start(message).catch((error: unknown) => {
        send({ rxtls: 'failed', message: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      });
      return;
    case 'stats':
      if (server) send({ rxtls: 'stats', request: message.request, stats: server.stats() });
      return;
    case 'metrics':
      void answerMetrics(message.request);
      return;
    case 'reload':
      void reloadWorker(message.request);
      return;
    case 'shutdown':
      void stop(message.timeoutMs);
      return;
    case 'ticket-keys':
      try {
        setTicketKeys(message.keys);
      } catch {
        // The primary sends only rings it has applied itself; a worker keeps its keys otherwise.
      }
      return;
  }
});

// The primary handles signals and drains its workers; a terminal's Ctrl-C reaches the whole
// process group, and a worker that left on its own would look like one that died.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);

// Without its primary, a worker drains and leaves instead of serving on as an orphan.
process.on('disconnect', () => void stop(ORPHAN_SHUTDOWN_MS));

send({ rxtls: 'ready' });
