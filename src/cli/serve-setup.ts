/**
 * What `rxtls serve` serves, from its command line: the settings, the server's context, and the
 * server's options with what each connection gets (echo, or the HTTPS status site). The
 * single-process command and every worker of `--workers` build their server from here.
 */
import { type CredentialFiles, reloadCredentials } from '../context/credential-reload.js';
import { createDefaultContext } from '../context/default-context.js';
import type { SSLContext } from '../context/ssl-context.js';
import type { WorkerSetup } from '../endpoints/cluster/worker-setup.js';
import { CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, Purpose } from '../constants/ssl-constants.js';
import { Reactor } from '../transport/stream/reactor.js';
import {
  alpnList,
  type OptionValues,
  parseCommandArgs,
  positiveInteger,
  UsageError,
} from './command.js';
import type { DevCertificates } from './dev-certificates.js';
import { echoStream } from './echo-stream.js';
import { HttpsStatusSite } from './https-status.js';

export const COMMAND = 'rxtls serve';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_ECHO_PORT = 8444;
export const DEFAULT_HTTPS_PORT = 8443;
const MAX_PORT = 65_535;
/** How long a stop waits for the clients' close_notify before closing their connections. */
export const STOP_TIMEOUT_MS = 5_000;

const VERIFY_MODES = { none: CERT_NONE, optional: CERT_OPTIONAL, required: CERT_REQUIRED };

export const OPTIONS = {
  echo: { type: 'boolean' },
  https: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  cert: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  cafile: { type: 'string' },
  verify: { type: 'string' },
  alpn: { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  workers: { type: 'string' },
  metrics: { type: 'string' },
  'ticket-store': { type: 'string' },
} as const;

export function option(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** Every value of an option given more than once (`--cert a --cert b`), in order. */
function options(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
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

export interface ServeSettings {
  https: boolean;
  host: string;
  port: number;
  verify: keyof typeof VERIFY_MODES;
  alpn: string[] | undefined;
  handshakeTimeoutMs: number | undefined;
  idleTimeoutMs: number | undefined;
  maxConnections: number | undefined;
  /** `memory`, or the redis:// URL of the store that shares the ticket keys. */
  ticketStore: string;
}

/** `--ticket-store memory|redis://HOST:PORT[/DB]`. */
const TICKET_STORE = /^(memory|redis:\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:@]+)(:\d{1,5})?(\/\d+)?)$/;

function ticketStore(values: OptionValues): string {
  const value = option(values, 'ticket-store') ?? 'memory';
  if (!TICKET_STORE.test(value)) {
    throw new UsageError(
      COMMAND,
      `--ticket-store must be memory or redis://HOST:PORT[/DB], got '${value}'`,
    );
  }
  return value;
}

export function settings(values: OptionValues): ServeSettings {
  if (values.echo && values.https) throw new UsageError(COMMAND, 'choose --echo or --https');
  const https = Boolean(values.https);
  if (options(values, 'cert').length !== options(values, 'key').length) {
    throw new UsageError(COMMAND, '--cert and --key go together (one --key per --cert, in order)');
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
  if (https && protocols && !protocols.some((p) => p === 'h2' || p === 'http/1.1')) {
    throw new UsageError(COMMAND, '--https speaks h2 and HTTP/1.1: --alpn must include one');
  }
  return {
    https,
    host: option(values, 'host') ?? DEFAULT_HOST,
    port: port(option(values, 'port'), https ? DEFAULT_HTTPS_PORT : DEFAULT_ECHO_PORT),
    verify: verify as ServeSettings['verify'],
    alpn: protocols ?? (https ? ['h2', 'http/1.1'] : undefined),
    handshakeTimeoutMs: optionalInteger(values, 'handshake-timeout'),
    idleTimeoutMs: optionalInteger(values, 'idle-timeout'),
    maxConnections: optionalInteger(values, 'max-connections'),
    ticketStore: ticketStore(values),
  };
}

/**
 * The files the server's material comes from: each `--cert`/`--key` pair (one per key type) or
 * the development certificate, and the CA file when clients are verified. SIGHUP reloads them.
 */
export function credentialFiles(
  values: OptionValues,
  chosen: ServeSettings,
  dev: DevCertificates | undefined,
): CredentialFiles {
  const keys = options(values, 'key');
  const certs = dev
    ? [{ certfile: dev.cert, keyfile: dev.key }]
    : options(values, 'cert').map((certfile, i) => ({ certfile, keyfile: keys[i] ?? null }));
  const cafile = chosen.verify === 'none' ? undefined : (option(values, 'cafile') ?? dev?.ca);
  return { certs, ...(cafile !== undefined ? { cafile } : {}) };
}

export function serverContext(
  values: OptionValues,
  chosen: ServeSettings,
  dev: DevCertificates | undefined,
): SSLContext {
  const context = createDefaultContext(Purpose.CLIENT_AUTH);
  const files = credentialFiles(values, chosen, dev);
  for (const { certfile, keyfile } of files.certs) context.loadCertChain(certfile, keyfile);
  if (chosen.verify !== 'none') {
    context.loadVerifyLocations({ cafile: files.cafile ?? null });
    context.verifyMode = VERIFY_MODES[chosen.verify];
  }
  if (chosen.alpn) context.setAlpnProtocols(chosen.alpn);
  return context;
}

/** Parses the command line as `rxtls serve` does; undefined for --help. */
export function parseServeArgs(args: string[]): OptionValues | undefined {
  return parseCommandArgs(COMMAND, args, OPTIONS)?.values;
}

/** The server `rxtls serve` runs from these settings: its options and each connection's handler. */
export function serveSetup(
  values: OptionValues,
  chosen: ServeSettings,
  dev: DevCertificates | undefined,
): WorkerSetup & { context: SSLContext; reactor: Reactor; files: CredentialFiles } {
  const context = serverContext(values, chosen, dev);
  const files = credentialFiles(values, chosen, dev);
  const reactor = new Reactor();
  const site = chosen.https ? new HttpsStatusSite(context, reactor) : undefined;
  return {
    context,
    reactor,
    files,
    // A worker's answer to a relayed SIGHUP: the primary prints the outcome.
    reload: () => void reloadCredentials(context, files),
    shutdownTimeoutMs: STOP_TIMEOUT_MS,
    ...(chosen.handshakeTimeoutMs ? { handshakeTimeoutMs: chosen.handshakeTimeoutMs } : {}),
    ...(chosen.idleTimeoutMs ? { idleTimeoutMs: chosen.idleTimeoutMs } : {}),
    ...(chosen.maxConnections ? { maxConnections: chosen.maxConnections } : {}),
    onSocket: (socket) => (site ? site.accept(socket) : echoStream(socket)),
  };
}
