/**
 * `rxtls connect HOST:PORT`: like `openssl s_client`, but verifying the server by default and
 * showing its certificate as `decodeCert` JSON. The handshake goes to stderr; then stdin is
 * relayed to the server and the server's data to stdout, so stdout carries only the peer's
 * bytes. The end of stdin sends close_notify; the peer's close_notify ends the command (exit 0).
 */
import { decodeCert } from '../x509/decode-cert.js';
import { createDefaultContext } from '../context/default-context.js';
import { SSLContext } from '../context/ssl-context.js';
import { connect } from '../endpoints/connect.js';
import { CERT_NONE, PROTOCOL_TLS_CLIENT, Purpose } from '../constants/ssl-constants.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import {
  alpnList,
  type Command,
  type OptionValues,
  parseCommandArgs,
  UsageError,
} from './command.js';
import { formatHostPort, parseHostPort } from './host-port.js';

const COMMAND = 'rxtls connect';

const HELP = `usage: rxtls connect HOST:PORT [--cafile F] [--servername N] [--alpn LIST] [--insecure]
                     [--cert F --key F] [--json]

Opens a TLS connection, prints the handshake on stderr, then relays stdin to the server and the
server's data to stdout. The end of stdin sends close_notify; the command ends when the server
closes. The server's certificate chain and name are verified against the system's CAs (or
--cafile); a failure exits 1 with the reason. IPv6: [::1]:8444.

  --cafile F        trust these CAs (PEM) instead of the system's
  --servername N    the name to send as SNI and to verify (default: HOST)
  --alpn LIST       ALPN protocols to offer, comma-separated (h2,http/1.1)
  --insecure        DO NOT verify the server's certificate or name (the connection is then
                    encrypted but not authenticated)
  --cert F --key F  a client certificate (chain) and key, for servers that ask for one
  --json            print the handshake as one JSON object
`;

const OPTIONS = {
  cafile: { type: 'string' },
  servername: { type: 'string' },
  alpn: { type: 'string' },
  insecure: { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function option(values: OptionValues, name: string): string | undefined {
  return values[name] as string | undefined;
}

function clientContext(values: OptionValues): SSLContext {
  const cafile = option(values, 'cafile');
  let context: SSLContext;
  if (values.insecure) {
    if (cafile !== undefined)
      throw new UsageError(COMMAND, '--insecure ignores --cafile: choose one');
    context = new SSLContext(PROTOCOL_TLS_CLIENT);
    context.checkHostname = false;
    context.verifyMode = CERT_NONE;
  } else {
    context = createDefaultContext(Purpose.SERVER_AUTH, cafile === undefined ? {} : { cafile });
  }
  const cert = option(values, 'cert');
  const key = option(values, 'key');
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(COMMAND, '--cert and --key go together');
  }
  if (cert !== undefined) context.loadCertChain(cert, key);
  const alpn = option(values, 'alpn');
  if (alpn !== undefined) context.setAlpnProtocols(alpnList(COMMAND, alpn));
  return context;
}

/** What the handshake established, as printed (and as the --json object). */
function handshakeReport(socket: SSLSocket<SSLContext>, values: OptionValues, target: string) {
  const cipher = socket.cipher();
  const der = socket.getpeercert(true);
  const cafile = option(values, 'cafile');
  const remote = socket.remoteAddress;
  return {
    connected: target,
    address: remote ? formatHostPort(remote.address, remote.port) : null,
    version: socket.version(),
    cipher: cipher ? { name: cipher[0], protocol: cipher[1], bits: cipher[2] } : null,
    alpn: socket.selectedAlpnProtocol(),
    verification: values.insecure
      ? { verified: false, detail: 'skipped (--insecure): the server is NOT authenticated' }
      : {
          verified: true,
          detail: `ok: chain verified against ${cafile ?? 'the system CAs'}, name '${socket.serverHostname}' matches`,
        },
    peerCertificate: der ? decodeCert(der) : null,
  };
}

/** JSON with one top-level key a line: readable, and short even for nested name tuples. */
function compactJson(value: object | null): string {
  if (value === null) return 'null';
  const lines = Object.entries(value).map(
    ([key, v]) => `  ${JSON.stringify(key)}: ${JSON.stringify(v)}`,
  );
  return `{\n${lines.join(',\n')}\n}`;
}

function printReport(report: ReturnType<typeof handshakeReport>, json: boolean): void {
  if (json) {
    process.stderr.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const cipher = report.cipher;
  process.stderr.write(
    [
      `connected to ${report.connected}${report.address ? ` (${report.address})` : ''}`,
      `version: ${report.version}`,
      `cipher: ${cipher ? `${cipher.name} (${cipher.bits} bits)` : 'none'}`,
      `alpn: ${report.alpn ?? 'none'}`,
      `verification: ${report.verification.detail}`,
      'peer certificate:',
      compactJson(report.peerCertificate),
      '---',
      '',
    ].join('\n'),
  );
}

/**
 * Relays stdin to `socket` and `socket` to stdout, with backpressure both ways, until the peer
 * closes; rejects with the connection's error.
 */
function relay(socket: SSLSocket<SSLContext>): Promise<void> {
  const { stdin, stdout } = process;
  return new Promise<void>((resolve, reject) => {
    let stdinDone = false;
    const stopStdin = () => {
      stdinDone = true;
      stdin.off('data', onStdin);
      stdin.destroy();
    };
    const onStdin = (chunk: Buffer) => {
      if (socket.state !== 'open') return;
      if (!socket.write(chunk)) stdin.pause();
    };
    stdin.on('data', onStdin);
    stdin.on('end', () => {
      stdinDone = true;
      socket.end();
    });
    stdin.on('error', () => undefined);
    socket.writable$.subscribe(() => {
      if (!stdinDone) stdin.resume();
    });
    socket.data$.subscribe({
      next: (chunk) => {
        if (!stdout.write(chunk)) {
          socket.pause();
          stdout.once('drain', () => socket.resume());
        }
      },
      complete: () => {
        stopStdin();
        socket
          .close()
          .then(() => stdout.write('', () => resolve()))
          .catch(reject);
      },
      error: (error: unknown) => {
        stopStdin();
        reject(error);
      },
    });
  });
}

async function run(args: string[]): Promise<void> {
  const parsed = parseCommandArgs(COMMAND, args, OPTIONS, { min: 1, max: 1, name: 'HOST:PORT' });
  if (!parsed) {
    process.stdout.write(HELP);
    return;
  }
  const { values, positionals } = parsed;
  const { host, port } = parseHostPort(COMMAND, positionals[0]!);
  const context = clientContext(values);
  const servername = option(values, 'servername');
  const socket = await connect({
    host,
    port,
    context,
    // A diagnostic tool says when a server ends without close_notify (SSLEOFError, exit 1).
    suppressRaggedEofs: false,
    ...(servername !== undefined ? { serverHostname: servername } : {}),
  });
  printReport(handshakeReport(socket, values, formatHostPort(host, port)), Boolean(values.json));
  await relay(socket);
}

/** `rxtls connect`: a verifying `openssl s_client`. */
export const connectCommand: Command = {
  name: 'connect',
  summary: 'open a verified TLS connection; handshake on stderr, stdin/stdout relayed',
  run,
};
