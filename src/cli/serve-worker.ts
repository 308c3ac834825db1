/**
 * The worker module of `rxtls serve --workers`: every worker parses the same command line and
 * builds the same server as the single-process command (serve-setup.ts). The primary has made the
 * development certificates before any worker starts.
 */
import type { WorkerInfo, WorkerSetup } from '../endpoints/cluster/worker-setup.js';
import { ensureDevCertificates } from './dev-certificates.js';
import { watchAndPrint } from './serve-reload.js';
import { option, parseServeArgs, serveSetup, settings } from './serve-setup.js';

/** What the primary hands each worker: its own command line. */
export interface ServeWorkerData {
  readonly args: string[];
}

export default async function setup({ id, data }: WorkerInfo): Promise<WorkerSetup> {
  const values = parseServeArgs((data as ServeWorkerData).args);
  if (!values) throw new Error('rxtls serve worker: no options');
  const dev = option(values, 'cert') === undefined ? await ensureDevCertificates() : undefined;
  const served = serveSetup(values, settings(values), dev);
  // The worker runs until its process exits: the watch needs no unsubscribing.
  watchAndPrint(`rxtls serve: worker ${id}: files changed`, served.context, served.files);
  return served;
}
