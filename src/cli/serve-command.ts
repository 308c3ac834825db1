/**
 * `rxtls serve`: an echo or HTTPS server in one command. Without `--cert` it serves the
 * development certificates kept under `.rxtls/` (made on the first start, reused afterwards)
 * and prints the commands that trust them. SIGINT or SIGTERM closes every connection with
 * close_notify and exits 0.
 */
import { createDefaultContext } from '../context/default-context.js';
import type { SSLContext } from '../context/ssl-context.js';
import { createServer } from '../endpoints/server.js';
import { CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, Purpose } from '../constants/ssl-constants.js';
import { Reactor } from '../transport/stream/reactor.js';
import {
  type Command,
  alpnList,
  type OptionValues,
  parseCommandArgs,
  positiveInteger,
  UsageError,
} from './command.js';
import { type DevCertificates, displayPath, ensureDevCertificates } from './dev-certificates.js';
import { echoStream } from './echo-stream.js';
import { formatHostPort } from './host-port.js';
import { HttpsStatusSite } from './https-status.js';
import { waitForStopSignal } from './stop-signal.js';

const COMMAND = 'rxtls serve';
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_ECHO_PORT = 8444;
const DEFAULT_HTTPS_PORT = 8443;
const MAX_PORT = 65_535;
/** How long a stop waits for the clients' close_notify before closing their connections. */
const STOP_TIMEOUT_MS = 5_000;

const VERIFY_MODES = { none: CERT_NONE, optional: CERT_OPTIONAL, required: CERT_REQUIRED };

const HELP = `usage: rxtls serve [--echo|--https] [--host H] [--port P] [--cert F --key F]
                   [--cafile F --verify none|optional|required] [--alpn h2,http/1.1]
                   [--handshake-timeout MS] [--idle-timeout MS] [--max-connections N]

Serves TLS until SIGINT (Ctrl-C) or SIGTERM, then sends close_notify to every client and exits 0.

  --echo                  echo every byte back (default)
  --https                 serve HTTP/1.1: a page with the server's statistics and your TLS
                          session, and the same as JSON at /stats.json
  --host H                the address to listen on (default: ${DEFAULT_HOST})
  --port P                the port (default: ${DEFAULT_ECHO_PORT} for --echo, ${DEFAULT_HTTPS_PORT} for --https; 0: any free one)
  --cert F --key F        the server's certificate chain and key (PEM); without them, a
                          development CA and a certificate for localhost, 127.0.0.1 and ::1
                          are made under .rxtls/ (reused on the next start)
  --cafile F              CAs whose client certificates are accepted (default with the
                          development certificates: .rxtls/ca.pem)
  --verify MODE           client certificates: none (default), optional or required
                          (default required when --cafile is given)
  --alpn LIST             ALPN protocols to accept, comma-separated (--https default: http/1.1)
  --handshake-timeout MS  drop clients that do not finish the handshake in time
  --idle-timeout MS       drop connections idle this long
  --max-connections N     refuse connections beyond N at once
`;

const OPTIONS = {
  echo: { type: 'boolean' },
  https: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  cafile: { type: 'string' },
  verify: { type: 'string' },
  alpn: { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
} as const;

function option(values: OptionValues, name: string): string | undefined {
  return values[name] as string | undefined;
}

function port(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > MAX_PORT) {
    throw new UsageError(COMMAND, `--port must be 0-${MAX_PORT}, got '${value}'`);
  }
  return number;
}

function optionalInteger(values: OptionValues, name: string): number | undefined {
  const value = option(values, name);
  return value === undefined ? undefined : positiveInteger(COMMAND, name, value);
}

interface ServeSettings {
  https: boolean;
  host: string;
  port: number;
  verify: keyof typeof VERIFY_MODES;
  alpn: string[] | undefined;
  handshakeTimeoutMs: number | undefined;
  idleTimeoutMs: number | undefined;
  maxConnections: number | undefined;
}

function settings(values: OptionValues): ServeSettings {
  if (values.echo && values.https) throw new UsageError(COMMAND, 'choose --echo or --https');
  const https = Boolean(values.https);
  if ((option(values, 'cert') === undefined) !== (option(values, 'key') === undefined)) {
    throw new UsageError(COMMAND, '--cert and --key go together');
  }
  const verify = option(values, 'verify') ?? (option(values, 'cafile') ? 'required' : 'none');
  if (!(verify in VERIFY_MODES)) {
    throw new UsageError(COMMAND, `--verify must be none, optional or required, got '${verify}'`);
  }
  if (verify !== 'none' && !option(values, 'cafile') && option(values, 'cert')) {
    throw new UsageError(COMMAND, `--verify ${verify} needs --cafile with your own --cert`);
  }
  const alpn = option(values, 'alpn');
  const protocols = alpn === undefined ? undefined : alpnList(COMMAND, alpn);
  if (https && protocols && !protocols.includes('http/1.1')) {
    throw new UsageError(COMMAND, '--https speaks HTTP/1.1: --alpn must include http/1.1');
  }
  return {
    https,
    host: option(values, 'host') ?? DEFAULT_HOST,
    port: port(option(values, 'port'), https ? DEFAULT_HTTPS_PORT : DEFAULT_ECHO_PORT),
    verify: verify as ServeSettings['verify'],
    alpn: protocols ?? (https ? ['http/1.1'] : undefined),
    handshakeTimeoutMs: optionalInteger(values, 'handshake-timeout'),
    idleTimeoutMs: optionalInteger(values, 'idle-timeout'),
    maxConnections: optionalInteger(values, 'max-connections'),
  };
}

function serverContext(
  values: OptionValues,
  chosen: ServeSettings,
  dev: DevCertificates | undefined,
): SSLContext {
  const context = createDefaultContext(Purpose.CLIENT_AUTH);
  context.loadCertChain(
    dev?.cert ?? (option(values, 'cert') as string),
    dev?.key ?? option(values, 'key'),
  );
  if (chosen.verify !== 'none') {
    context.loadVerifyLocations({ cafile: option(values, 'cafile') ?? dev?.ca ?? null });
    context.verifyMode = VERIFY_MODES[chosen.verify];
  }
  if (chosen.alpn) context.setAlpnProtocols(chosen.alpn);
  return context;
}

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

async function serve(args: string[]): Promise<void> {
  const parsed = parseCommandArgs(COMMAND, args, OPTIONS);
  if (!parsed) {
    process.stdout.write(HELP);
    return;
  }
  const { values } = parsed;
  const chosen = settings(values);
  const dev = option(values, 'cert') === undefined ? await ensureDevCertificates() : undefined;
  const context = serverContext(values, chosen, dev);
  const reactor = new Reactor();
  const site = chosen.https ? new HttpsStatusSite(context, reactor) : undefined;
  const server = createServer(
    {
      context,
      reactor,
      shutdownTimeoutMs: STOP_TIMEOUT_MS,
      ...(chosen.handshakeTimeoutMs ? { handshakeTimeoutMs: chosen.handshakeTimeoutMs } : {}),
      ...(chosen.idleTimeoutMs ? { idleTimeoutMs: chosen.idleTimeoutMs } : {}),
      ...(chosen.maxConnections ? { maxConnections: chosen.maxConnections } : {}),
    },
    (socket) => (site ? site.accept(socket) : echoStream(socket)),
  );
  const address = await server.listen(chosen.port, chosen.host);
  const stop = waitForStopSignal();
  const kind = chosen.https ? 'HTTPS' : 'TLS echo';
  const lines = [
    `rxtls serve: ${kind} server listening on ${formatHostPort(address.address, address.port)}`,
  ];
  if (dev) {
    lines.push(
      `development CA: ${displayPath(dev.ca)} (${dev.created ? 'created' : 'reused'}; trust it in your clients)`,
    );
  }
  if (chosen.verify !== 'none') lines.push(`client certificates: ${chosen.verify}`);
  lines.push('try:', ...tryCommands(chosen, address.port, dev?.ca).map((line) => `  ${line}`));
  lines.push('stop with Ctrl-C');
  process.stdout.write(`${lines.join('\n')}\n`);
  const signal = await stop;
  const open = server.connections.size;
  await server.close({ timeoutMs: STOP_TIMEOUT_MS });
  process.stdout.write(`rxtls serve: ${signal}: closed ${open} connection(s), stopped\n`);
}

/** `rxtls serve`: an echo or HTTPS server with zero-configuration development certificates. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve TLS echo or HTTPS (development certificates made under .rxtls/)',
  run: serve,
};
