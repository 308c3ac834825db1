/**
 * The contract between a clustered server and the module that sets up each of its workers: the
 * module's default export is called once per worker process and answers the server's options,
 * its context and protocol among them (a context cannot cross from one process to another, so
 * every worker makes its own from the same module: docs/architecture.md, Serving on every core).
 *
 * @example
 * ```ts
 * // echo-worker.js
 * export default function setup({ data }: WorkerInfo): WorkerSetup {
 *   const context = new SSLContext(PROTOCOL_TLS_SERVER);
 *   context.loadCertChain(data.cert, data.key);
 *   return { context, protocol: (input$) => input$ };
 * }
 * ```
 */
import type { SSLContext } from '../../context/ssl-context.js';
import type { SSLSocket } from '../../transport/stream/ssl-socket.js';
import type { ServerOptions } from '../server.js';

/** What a worker's setup function is told. */
export interface WorkerInfo {
  /** 1 to `count`; a replacement worker takes the id of the one it replaces. */
  readonly id: number;
  /** How many workers the server runs. */
  readonly count: number;
  /** The `workerData` given to createServer (JSON: it crosses a process boundary). */
  readonly data: unknown;
}

/** What a worker's setup function answers: the server's options, and what each connection gets. */
export interface WorkerSetup extends ServerOptions {
  /** Called with each accepted connection, as createServer's second argument. */
  onSocket?: (socket: SSLSocket<SSLContext>) => void;
  /**
   * Called when the primary's `ServerCluster.reload()` asks (`rxtls serve` does on SIGHUP): reload
   * what may have changed, such as the context's certificate files with `reloadCredentials`. A
   * throw or a rejection is reported back to the primary as that worker's failure; the worker
   * keeps serving either way.
   */
  reload?: () => void | Promise<void>;
}

/** The default export of a worker module. */
export type WorkerSetupFunction = (worker: WorkerInfo) => WorkerSetup | Promise<WorkerSetup>;
