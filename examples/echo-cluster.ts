/**
 * TLS echo on every core: one address, served by worker processes that each run
 * examples/echo-cluster-worker.ts. On Linux the workers share the port with SO_REUSEPORT and the
 * kernel spreads the connections; a worker that dies is replaced; Ctrl-C drains them all.
 *
 * Run: node dist/examples/echo-cluster.js    (PORT, HOST, WORKERS (a number or auto) from the environment)
 * Try: node dist/examples/echo-client.js     (with PORT and CAFILE as printed)
 */
import { createServer } from '../src/endpoints/server.js';
import type { ServerCluster } from '../src/endpoints/cluster/server-cluster.js';
import type { EchoWorkerData } from './echo-cluster-worker.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** Options of {@link main}. */
export interface EchoClusterOptions {
  port?: number;
  host?: string;
  /** How many worker processes; 'auto': one per core (default 2). */
  workers?: number | 'auto';
}

/** A running clustered echo server. */
export interface EchoCluster {
  server: ServerCluster;
  port: number;
  /** The CA that issued the generated certificate. */
  caFile: string;
  close(): Promise<void>;
}

/** Starts the workers and resolves once every one listens. */
export async function main(options: EchoClusterOptions = {}): Promise<EchoCluster> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const server = createServer({
    workers: options.workers ?? 2,
    workerModule: new URL('./echo-cluster-worker.js', import.meta.url),
    workerData: certs.files('server') satisfies EchoWorkerData,
  });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    server,
    port,
    caFile: certs.caFile,
    async close() {
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const env = process.env;
  const workers = env['WORKERS'] === 'auto' ? 'auto' : Number(env['WORKERS'] ?? 2);
  const running = await main({
    port: Number(env['PORT'] ?? 8444),
    host: env['HOST'] ?? '127.0.0.1',
    workers,
  });
  console.log(
    `echo cluster listening on 127.0.0.1:${running.port} (pids ${running.server.pids.join(', ')})`,
  );
  console.log(`CA: ${running.caFile}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
