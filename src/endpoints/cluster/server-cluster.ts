/**
 * A server on every core: the primary process of `createServer({ workers })`. It forks the
 * workers (node:cluster, so each is a process: a crash, a native fault or a SIGKILL takes one
 * worker and its connections, never the others), tells each which module sets it up, replaces a
 * worker that dies, adds up their stats and drains them all on close().
 *
 * The primary owns the session ticket key ring (docs/architecture.md, Session tickets): it rotates
 * it with the configured store and sends every ring to every worker, and the current one to a
 * worker before it listens, so any worker resumes a session any other issued.
 *
 * Where connections come in (docs/architecture.md, Serving on every core):
 * - native TCP (Linux with the addon, the default there): the primary binds the address with
 *   SO_REUSEPORT without listening, which fixes the port; every worker listens on it with
 *   SO_REUSEPORT too, and the kernel spreads connections over the workers, no coordinator between;
 * - `tcp: 'node'` (and wherever SO_REUSEPORT or the addon is missing): each worker's net.Server
 *   listens through node:cluster, whose primary hands connections out.
 */
import cluster, { type Worker } from 'node:cluster';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { type Observable, Subject, type Subscription } from 'rxjs';
import {
  rotateTicketKeys,
  type TicketKeyEvent,
  type TicketKeyRotationOptions,
} from '../../context/session-tickets/ticket-key-rotation.js';
import { ValueError } from '../../errors/errors.js';
import {
  NativeTcpListener,
  nativeTcpAvailable,
  type TcpKind,
} from '../../transport/engines/native/native-tcp.js';
import type { TransportAddress } from '../../transport/transport.js';
import type { ServerStats } from '../server.js';
import {
  isClusterMessage,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerServerOptions,
} from './messages.js';

/** The worker processes' entry. */
const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** A worker that dies within this long of its start is restarted after a growing delay. */
const CRASH_WINDOW_MS = 5_000;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** How long a stats() request waits for a worker's answer before leaving it out. */
const STATS_TIMEOUT_MS = 5_000;
/** After the shutdown timeout, how long a worker may take to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

/** Options of {@link createServer} for a server on several cores. */
export interface ClusterServerOptions extends WorkerServerOptions {
  /** How many worker processes; `'auto'`: one per core (os.availableParallelism()). */
  workers: number | 'auto';
  /**
   * The module each worker sets its server up with (a path or a file: URL): its default export
   * answers the server's options, context and protocol among them (see WorkerSetupFunction).
   */
  workerModule: string | URL;
  /** Handed to the module's setup function in every worker (JSON). */
  workerData?: unknown;
  /** Which TCP the workers listen with: see the file header. Default: native where it can. */
  tcp?: TcpKind;
  /** Every worker keeps Prometheus metrics (ServerMetrics); metrics() adds them up. */
  metrics?: boolean;
  /**
   * The workers' shared session ticket keys: rotation and store (default: in-process, a new key
   * every 12 hours, 4 kept). The primary keeps the ring; the store is the caller's to close.
   */
  ticketKeys?: TicketKeyRotationOptions;
}

/** One worker's live counts. */
export interface WorkerStats extends ServerStats {
  readonly id: number;
  readonly pid: number;
}

/** One worker's answer to {@link ServerCluster.reload}: `message` says why it failed. */
export interface WorkerReload {
  readonly id: number;
  readonly ok: boolean;
  readonly message?: string | undefined;
}

/** The counts of every worker that answered, added up, and each worker's own. */
export interface ClusterStats extends ServerStats {
  readonly workers: readonly WorkerStats[];
}

/** What happens to a cluster's workers. */
export type WorkerEvent =
  | { readonly type: 'listening'; readonly id: number; readonly pid: number }
  | {
      readonly type: 'exit';
      readonly id: number;
      readonly pid: number;
      readonly code: number | null;
      readonly signal: string | null;
    };

/** One worker's figures, as prom-client's getMetricsAsJSON() gives them. */
type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** One worker place: its process comes and goes, its id stays. */
interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  startedAt: number;
  restartDelay: number;
  restart: ReturnType<typeof setTimeout> | undefined;
}

/** Whether workers can share one address with SO_REUSEPORT here. */
function reusePortAvailable(): boolean {
  return process.platform === 'linux' && nativeTcpAvailable();
}

/** The primary of a server whose workers serve on every core. */
export class ServerCluster {
  readonly #options: ClusterServerOptions;
  readonly #count: number;
  readonly #tcp: TcpKind;
  readonly #slots: Slot[] = [];
  readonly #events = new Subject<WorkerEvent>();
  #listen: { host: string; port: number } | undefined;
  #reservation: NativeTcpListener | undefined;
  #address: TransportAddress | null = null;
  #closing = false;
  #requests = 0;
  readonly #pendingStats = new Map<number, (stats: WorkerStats | undefined) => void>();
  readonly #pendingMetrics = new Map<number, (metrics: WorkerMetrics | undefined) => void>();
  readonly #ticketEvents = new Subject<TicketKeyEvent>();
  #ticketRotation: Subscription | undefined;
  /** The ring every worker gets (base64 of setTicketKeys' format), null before the first. */
  #ticketKeys: string | null = null;

  /** The ticket key ring's rotations and the store's problems (never a key). */
  readonly ticketKeys$: Observable<TicketKeyEvent> = this.#ticketEvents.asObservable();
  readonly #pendingReloads = new Map<number, (result: WorkerReload | undefined) => void>();

  /** Each worker listening, and each worker's exit (a replacement follows unless closing). */
  readonly workers$: Observable<WorkerEvent> = this.#events.asObservable();

  constructor(options: ClusterServerOptions) {
    const { workers, workerModule } = options;
    const count = workers === 'auto' ? availableParallelism() : workers;
    if (!Number.isInteger(count) || count < 1) {
      throw new ValueError(
        `createServer: workers must be a positive integer or 'auto', got ${workers}`,
      );
    }
    if (typeof workerModule !== 'string' && !(workerModule instanceof URL)) {
      throw new ValueError(
        'createServer({ workers }) needs workerModule: the module each worker sets its server up with',
      );
    }
    for (const name of ['context', 'protocol', 'container', 'reactor'] as const) {
      if (name in options) {
        throw new ValueError(
          `createServer({ workers }): ${name} cannot cross to the worker processes; make it in workerModule`,
        );
      }
    }
    if (options.tcp === 'native' && !reusePortAvailable()) {
      throw new ValueError(
        "createServer({ workers }): tcp 'native' needs Linux and the native addon",
      );
    }
    this.#options = options;
    this.#count = count;
    this.#tcp = options.tcp ?? (reusePortAvailable() ? 'native' : 'node');
  }

  /**
   * Starts the workers, each listening on `host:port` (default 127.0.0.1, port 0: a free one, the
   * same for all); resolves once every one listens, rejects if one fails to start (the others
   * are stopped).
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<TransportAddress> {
    if (this.#listen) throw new ValueError('the server is already listening');
    const ip = isIP(host) ? host : (await lookup(host)).address;
    this.#listen = { host: ip, port };
    if (this.#tcp === 'native') {
      this.#reservation = NativeTcpListener.reserve(ip, port);
      this.#listen.port = (this.#reservation.address() as TransportAddress).port;
    }
    try {
      await this.#startTicketKeys();
      await (this.#slots.length === 0 ? this.#startAll() : Promise.resolve());
    } catch (error) {
      await this.close({ timeoutMs: 0 });
      throw error;
    }
    return this.#address as TransportAddress;
  }

  /** Starts the ring's rotation; resolves once it has a ring (the store's or, failing, its own). */
  #startTicketKeys(): Promise<unknown> {
    const applied = new Promise<void>((resolve) => {
      const target = {
        setTicketKeys: (keys: Buffer) => {
          this.#ticketKeys = keys.toString('base64');
          for (const slot of this.#slots) {
            if (slot.worker?.isConnected()) {
              const message: PrimaryMessage = { rxtls: 'ticket-keys', keys: this.#ticketKeys };
              // A worker that is going away misses it; its replacement gets the ring at start.
              slot.worker.send(message, () => undefined);
            }
          }
          resolve();
        },
      };
      this.#ticketRotation = rotateTicketKeys(target, this.#options.ticketKeys).subscribe(
        this.#ticketEvents,
      );
    });
    return applied;
  }

  #startAll(): Promise<void> {
    const listening: Promise<void>[] = [];
    for (let id = 1; id <= this.#count; id++) {
      const slot: Slot = {
        id,
        worker: undefined,
        startedAt: 0,
        restartDelay: 0,
        restart: undefined,
      };
      this.#slots.push(slot);
      listening.push(this.#fork(slot));
    }
    return Promise.all(listening).then(() => undefined);
  }

  /** Starts the slot's process; resolves once it listens, rejects if it fails to. */
  #fork(slot: Slot): Promise<void> {
    const listen = this.#listen as { host: string; port: number };
    const o = this.#options;
    cluster.setupPrimary({ exec: WORKER_MAIN, args: [] });
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAt = Date.now();
    // Made when the worker is ready, so it carries the ring as it is then.
    const start = (): PrimaryMessage => ({
      rxtls: 'start',
      id: slot.id,
      count: this.#count,
      module: o.workerModule instanceof URL ? o.workerModule.href : o.workerModule,
      data: o.workerData ?? null,
      options: serverOptionsOf(o),
      host: listen.host,
      port: listen.port,
      tcp: this.#tcp,
      metrics: o.metrics ?? false,
      ticketKeys: this.#ticketKeys,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: unknown) => {
        if (!isClusterMessage<WorkerMessage>(message)) return;
        if (message.rxtls === 'ready') {
          worker.send(start());
        } else if (message.rxtls === 'listening') {
          this.#address ??= message.address;
          slot.restartDelay = 0;
          this.#events.next({ type: 'listening', id: slot.id, pid: worker.process.pid ?? 0 });
          settled = true;
          resolve();
        } else if (message.rxtls === 'failed') {
          settled = true;
          reject(new Error(`rxtls worker ${slot.id} could not start: ${message.message}`));
        } else if (message.rxtls === 'metrics') {
          this.#pendingMetrics.get(message.request)?.(message.metrics as WorkerMetrics);
        } else if (message.rxtls === 'reloaded') {
          const { ok, message: reason } = message;
          this.#pendingReloads.get(message.request)?.({ id: slot.id, ok, message: reason });
        } else if (message.rxtls === 'stats') {
          this.#pendingStats.get(message.request)?.({
            ...message.stats,
            id: slot.id,
            pid: worker.process.pid ?? 0,
          });
        }
      });
      worker.once('exit', (code, signal) => {
        if (!settled)
          reject(
            new Error(`rxtls worker ${slot.id} exited before it listened (${signal ?? code})`),
          );
        this.#onExit(slot, worker, code, signal);
      });
    });
  }

  #onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker === worker) slot.worker = undefined;
    this.#events.next({ type: 'exit', id: slot.id, pid: worker.process.pid ?? 0, code, signal });
    if (this.#closing || this.#address === null) return;
    // A worker that dies soon after its start would die again at once: wait, longer each time.
    const crashed = Date.now() - slot.startedAt < CRASH_WINDOW_MS;
    slot.restartDelay = crashed
      ? Math.min(Math.max(slot.restartDelay * 2, FIRST_RESTART_DELAY_MS), MAX_RESTART_DELAY_MS)
      : 0;
    slot.restart = setTimeout(() => {
      slot.restart = undefined;
      // A replacement that fails to start dies, and this runs again.
      this.#fork(slot).catch(() => undefined);
    }, slot.restartDelay);
  }

  /** Where the workers listen, or null before listen(). */
  address(): TransportAddress | null {
    return this.#address;
  }

  /** The worker processes running now. */
  get pids(): number[] {
    return this.#slots.flatMap((slot) =>
      slot.worker?.process.pid ? [slot.worker.process.pid] : [],
    );
  }

  /** The counts of every worker, added up (a worker that does not answer in time is left out). */
  async stats(): Promise<ClusterStats> {
    const answers = await Promise.all(
      this.#slots.map((slot) => (slot.worker ? this.#statsOf(slot.worker) : undefined)),
    );
    const workers = answers.filter((stats): stats is WorkerStats => stats !== undefined);
    const sum = (key: keyof ServerStats) => workers.reduce((total, w) => total + w[key], 0);
    return {
      connections: sum('connections'),
      handshakesOk: sum('handshakesOk'),
      handshakesFailed: sum('handshakesFailed'),
      handshakesResumed: sum('handshakesResumed'),
      bytesIn: sum('bytesIn'),
      bytesOut: sum('bytesOut'),
      handshakesInFlight: sum('handshakesInFlight'),
      handshakesQueued: sum('handshakesQueued'),
      handshakesDeferred: sum('handshakesDeferred'),
      handshakesRefused: sum('handshakesRefused'),
      connectionsRefusedPerAddress: sum('connectionsRefusedPerAddress'),
      workers,
    };
  }

  #statsOf(worker: Worker): Promise<WorkerStats | undefined> {
    return this.#ask(worker, 'stats', this.#pendingStats);
  }

  /**
   * Asks one worker over IPC and resolves to its answer, or to undefined if it exits, cannot be
   * sent to or does not answer in time. Scrapes and stats calls come for as long as the worker
   * lives, so every path removes its exit listener.
   */
  #ask<T>(
    worker: Worker,
    kind: 'stats' | 'metrics' | 'reload',
    pending: Map<number, (answer: T | undefined) => void>,
  ): Promise<T | undefined> {
    const request = ++this.#requests;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), STATS_TIMEOUT_MS);
      const exited = () => done(undefined);
      const done = (answer: T | undefined) => {
        clearTimeout(timer);
        worker.off('exit', exited);
        pending.delete(request);
        resolve(answer);
      };
      pending.set(request, done);
      worker.once('exit', exited);
      worker.send({ rxtls: kind, request } satisfies PrimaryMessage, (error) => {
        if (error) done(undefined);
      });
    });
  }

  /** The content type of metrics(). */
  get contentType(): string {
    return AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;
  }

  /**
   * The Prometheus text of every worker's metrics (the `metrics` option), added up by
   * prom-client's AggregatorRegistry over our own IPC (a worker that does not answer in time is
   * left out): counters, gauges and histograms are summed.
   */
  async metrics(): Promise<string> {
    const answers = await Promise.all(
      this.#slots.map((slot) => (slot.worker ? this.#metricsOf(slot.worker) : undefined)),
    );
    const figures = answers.filter((metrics): metrics is WorkerMetrics => metrics !== undefined);
    return AggregatorRegistry.aggregate(figures).metrics();
  }

  #metricsOf(worker: Worker): Promise<WorkerMetrics | undefined> {
    return this.#ask(worker, 'metrics', this.#pendingMetrics);
  }

  /**
   * Asks every worker to run its setup's `reload` hook (new certificate files, for instance: each
   * worker reloads its own context) and answers each worker's outcome. A worker that exits or
   * does not answer in time counts as failed (a replacement starts from the files as they are).
   */
  async reload(): Promise<WorkerReload[]> {
    const answers = await Promise.all(
      this.#slots.map((slot) => (slot.worker ? this.#reloadOf(slot.id, slot.worker) : undefined)),
    );
    return answers.filter((answer) => answer !== undefined);
  }

  async #reloadOf(id: number, worker: Worker): Promise<WorkerReload> {
    const answer = await this.#ask(worker, 'reload', this.#pendingReloads);
    return answer ?? { id, ok: false, message: 'no answer (the worker exited or took too long)' };
  }

  /**
   * Drains every worker: each stops accepting, sends close_notify to its clients and waits for
   * theirs up to `timeoutMs` (default: the shutdownTimeoutMs option, else 30 000), then exits;
   * a worker still there after that and a grace period is killed.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing = true;
    const timeoutMs = options.timeoutMs ?? this.#options.shutdownTimeoutMs ?? 30_000;
    const exits = this.#slots.map((slot) => {
      clearTimeout(slot.restart);
      const worker = slot.worker;
      if (!worker || worker.isDead()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + EXIT_GRACE_MS);
        worker.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        worker.send({ rxtls: 'shutdown', timeoutMs } satisfies PrimaryMessage, (error) => {
          if (error) worker.process.kill('SIGKILL');
        });
      });
    });
    await Promise.all(exits);
    this.#ticketRotation?.unsubscribe();
    this.#ticketRotation = undefined;
    this.#ticketEvents.complete();
    await this.#reservation?.close();
    this.#reservation = undefined;
    this.#address = null;
    this.#events.complete();
  }
}

function serverOptionsOf(options: ClusterServerOptions): WorkerServerOptions {
  const { handshakeTimeoutMs, idleTimeoutMs, shutdownTimeoutMs, maxConnections } = options;
  const { suppressRaggedEofs, borrowedReads } = options;
  const all = {
    handshakeTimeoutMs,
    idleTimeoutMs,
    shutdownTimeoutMs,
    maxConnections,
    suppressRaggedEofs,
    borrowedReads,
  };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}
