/**
 * `rxtls serve`: an echo or HTTPS server in one command. Without `--cert` it serves the
 * development certificates kept under `.rxtls/` (made on the first start, reused afterwards)
 * and prints the commands that trust them. With `--workers` it serves from several processes on
 * one address (each set up by serve-worker.ts). SIGINT or SIGTERM closes every connection with
 * close_notify and exits 0.
 */
import { fileURLToPath } from 'node:url';
import type { Subscription } from 'rxjs';
import { ServerCluster } from '../endpoints/cluster/server-cluster.js';
import { createServer, type Server } from '../endpoints/server.js';
import type { TransportAddress } from '../transport/transport.js';
import { type Command, type OptionValues, positiveInteger } from './command.js';
import { type DevCertificates, displayPath, ensureDevCertificates } from './dev-certificates.js';
import { formatHostPort } from './host-port.js';
import { liveCertificates, onSighup, printWorkerReloads } from './serve-reload.js';
import {
  COMMAND,
  DEFAULT_ECHO_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTPS_PORT,
  option,
  parseServeArgs,
  type ServeSettings,
  STOP_TIMEOUT_MS,
  serveSetup,
  settings,
} from './serve-setup.js';
import {
  metricsAddress,
  processMetrics,
  type ServedMetrics,
  serveMetrics,
} from './serve-metrics.js';
import {
  logTicketKeyEvents,
  rotateServerTicketKeys,
  ticketStoreFor,
  ticketStoreLine,
} from './serve-tickets.js';
import type { ServeWorkerData } from './serve-worker.js';
import { waitForStopSignal } from './stop-signal.js';

/** The module every worker of `--workers` sets its server up with. */
const SERVE_WORKER = fileURLToPath(new URL('./serve-worker.js', import.meta.url));

const HELP = `usage: rxtls serve [--echo|--https] [--host H] [--port P] [--cert F --key F]
                   [--cafile F --verify none|optional|required] [--alpn h2,http/1.1]
                   [--handshake-timeout MS] [--idle-timeout MS] [--max-connections N]
                   [--workers N|auto] [--metrics HOST:PORT]
                   [--ticket-store memory|redis://HOST:PORT[/DB]]

Serves TLS until SIGINT (Ctrl-C) or SIGTERM, then sends close_notify to every client and exits 0.
SIGHUP, or a change to the certificate, key or CA files, reloads them for new connections (a file
that fails to load is refused with the reason on stderr, and the old one stays in service).

  --echo                  echo every byte back (default)
  --https                 serve HTTPS (h2 and HTTP/1.1 by ALPN): a page with the server's
                          statistics and your TLS session, and the same as JSON at
                          /stats.json; a malformed request gets 400 and close_notify
  --host H                the address to listen on (default: ${DEFAULT_HOST})
  --port P                the port (default: ${DEFAULT_ECHO_PORT} for --echo, ${DEFAULT_HTTPS_PORT} for --https; 0: any free one)
  --cert F --key F        the server's certificate chain and key (PEM); give a pair per key
                          type (RSA and ECDSA) and each client gets the one it can verify;
                          without them, a development CA and a certificate for localhost,
                          127.0.0.1 and ::1 are made under .rxtls/ (reused on the next start)
  --cafile F              CAs whose client certificates are accepted (default with the
                          development certificates: .rxtls/ca.pem)
  --verify MODE           client certificates: none (default), optional or required
                          (default required when --cafile is given)
  --alpn LIST             ALPN protocols to accept, comma-separated (--https default:
                          h2,http/1.1)
  --handshake-timeout MS  drop clients that do not finish the handshake in time
  --idle-timeout MS       drop connections idle this long
  --max-connections N     refuse connections beyond N at once (per worker with --workers)
  --workers N|auto        serve from N processes (auto: one per core) on the same address;
                          a worker that dies is replaced; SIGINT/SIGTERM drain them all
  --metrics HOST:PORT     serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any
                          free one): handshakes, their duration, live connections, bytes,
                          errors; with --workers, every worker's added up
  --ticket-store STORE    where the session ticket keys live: memory (default: this process
                          and its workers) or redis://HOST:PORT[/DB] (every server naming it
                          resumes the others' sessions); a new key every 12 h, 4 kept
`;

/** The host a client should name: the certificate's name for loopback and wildcard addresses. */
function clientHost(host: string): string {
  return ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host) ? 'localhost' : host;
}

function tryCommands(chosen: ServeSettings, port: number, ca: string | undefined): string[] {
  const target = formatHostPort(clientHost(chosen.host), port);
  const trust = ca ? displayPath(ca) : undefined;
  if (chosen.https) {
    return [`curl ${trust ? `--cacert ${trust} ` : ''}https://${target}/`];
  }
  return [
    `npx rxtls connect ${target}${trust ? ` --cafile ${trust}` : ''}`,
    `openssl s_client -connect ${target}${trust ? ` -CAfile ${trust}` : ''} -verify_return_error`,
  ];
}

/** `--workers N|auto`, or undefined without it. */
function workerCount(values: OptionValues): number | 'auto' | undefined {
  const value = option(values, 'workers');
  if (value === undefined || value === 'auto') return value;
  return positiveInteger(COMMAND, 'workers', value);
}

async function serve(args: string[]): Promise<void> {
  const values = parseServeArgs(args);
  if (!values) {
    process.stdout.write(HELP);
    return;
  }
  const chosen = settings(values);
  const workers = workerCount(values);
  // Made here once, before any worker starts, so the workers never race to make them.
  const dev = option(values, 'cert') === undefined ? await ensureDevCertificates() : undefined;
  const metricsAt = metricsAddress(values);
  const metrics = workers === undefined ? processMetrics(metricsAt) : undefined;
  const store = ticketStoreFor(chosen.ticketStore);
  let tickets: Subscription;
  let live: () => () => void;
  let server: Server | ServerCluster;
  if (workers === undefined) {
    const { onSocket, files, reload: _, ...options } = serveSetup(values, chosen, dev);
    const single = createServer(options, onSocket);
    server = single;
    live = () => liveCertificates('rxtls serve', single.context, files);
    const rotation = rotateServerTicketKeys(single.context, store);
    tickets = rotation.subscription;
    await rotation.ready;
  } else {
    const cluster = createServer({
      workers,
      workerModule: SERVE_WORKER,
      workerData: { args } satisfies ServeWorkerData,
      shutdownTimeoutMs: STOP_TIMEOUT_MS,
      metrics: metricsAt !== undefined,
      ticketKeys: { store },
    });
    tickets = logTicketKeyEvents(cluster.ticketKeys$);
    // Each worker reloads its own context; each watches the files itself (serve-worker.ts).
    live = () => onSighup(async () => printWorkerReloads(await cluster.reload()));
    server = cluster;
  }
  const address = await server.listen(chosen.port, chosen.host);
  let served: ServedMetrics | undefined;
  try {
    const cluster = server instanceof ServerCluster ? server : undefined;
    served = metricsAt ? await serveMetrics(metricsAt, metrics, cluster) : undefined;
  } catch (error) {
    await server.close({ timeoutMs: 0 });
    tickets.unsubscribe();
    await store.close();
    throw error;
  }
  // Only once listening: a server that failed to start must not be kept alive by the watch.
  const stopLive = live();
  const stop = waitForStopSignal();
  const lines = startLines(chosen, address, dev, workers);
  if (served) lines.splice(1, 0, served.line);
  process.stdout.write(`${lines.join('\n')}\n`);
  const signal = await stop;
  stopLive();
  const open = (await server.stats()).connections;
  await server.close({ timeoutMs: STOP_TIMEOUT_MS });
  await served?.close();
  tickets.unsubscribe();
  await store.close();
  process.stdout.write(`rxtls serve: ${signal}: closed ${open} connection(s), stopped\n`);
}

function startLines(
  chosen: ServeSettings,
  address: TransportAddress,
  dev: DevCertificates | undefined,
  workers: number | 'auto' | undefined,
): string[] {
  const kind = chosen.https ? 'HTTPS' : 'TLS echo';
  const where = formatHostPort(address.address, address.port);
  const lines = [`rxtls serve: ${kind} server listening on ${where}`];
  if (workers !== undefined) {
    lines.push(`workers: ${workers === 'auto' ? 'one per core' : workers}, each on this address`);
  }
  if (dev) {
    lines.push(
      `development CA: ${displayPath(dev.ca)} (${dev.created ? 'created' : 'reused'}; trust it in your clients)`,
    );
  }
  if (chosen.verify !== 'none') lines.push(`client certificates: ${chosen.verify}`);
  lines.push(ticketStoreLine(chosen.ticketStore));
  lines.push('try:', ...tryCommands(chosen, address.port, dev?.ca).map((line) => `  ${line}`));
  lines.push('stop with Ctrl-C');
  return lines;
}

/** `rxtls serve`: an echo or HTTPS server with zero-configuration development certificates. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve TLS echo or HTTPS (development certificates made under .rxtls/)',
  run: serve,
};
