/**
 * Client entry points: `connect` (TCP + TLS, like asyncio's open_connection with ssl=), `startTls`
 * (upgrade an open plaintext transport, like asyncio's start_tls) and `getServerCertificate`.
 */
import { derCertToPemCert } from '../x509/pem.js';
import { createDefaultContext } from '../context/default-context.js';
import { SSLContext, type WrapSocketOptions } from '../context/ssl-context.js';
import { CERT_NONE, CERT_REQUIRED, PROTOCOL_TLS_CLIENT } from '../constants/ssl-constants.js';
import { ValueError } from '../errors/errors.js';
import type { Reactor } from '../transport/stream/reactor.js';
import type { SSLSession } from '../transport/sansio/ssl-object.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import type { SSLSocketOptions } from '../transport/stream/stream-options.js';
import {
  chooseTcp,
  NativeTcpTransport,
  type TcpKind,
} from '../transport/engines/native/native-tcp.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { Transport } from '../transport/transport.js';

/** Options of {@link connect}. */
export interface ConnectOptions extends Omit<SSLSocketOptions, 'handshakeTimeoutMs'> {
  host: string;
  port: number;
  /** The policy; default `createDefaultContext()` (verifies certificates and the hostname). */
  context?: SSLContext;
  /** The name to send as SNI and to verify; default `host`. */
  serverHostname?: string;
  /** ALPN protocols to offer, for the default context (set them on your own context instead). */
  alpnProtocols?: readonly string[];
  /** A session to resume. */
  session?: SSLSession | null;
  /** Give up TCP connect plus handshake after this long (default 60 000). */
  timeoutMs?: number;
  /** Run TLS over this transport instead of a new TCP connection (TLS-in-TLS, proxies). */
  transport?: Transport;
  reactor?: Reactor;
  /**
   * Which TCP to open: 'native', the addon's sockets, where the native engine's ciphertext never
   * enters JavaScript (the fused path); or 'node', `net.Socket`. Default: 'native' when the
   * context's engine is native, 'node' otherwise.
   */
  tcp?: TcpKind;
}

/**
 * Opens a verified TLS connection.
 *
 * @example
 * ```ts
 * const tls = await connect({ host: 'localhost', port: 8443, context: createDefaultContext(Purpose.SERVER_AUTH, { cafile: 'ca.pem' }) });
 * ```
 */
export async function connect(options: ConnectOptions): Promise<SSLSocket<SSLContext>> {
  const {
    host,
    port,
    context,
    serverHostname,
    alpnProtocols,
    session,
    timeoutMs,
    transport,
    reactor,
    tcp,
    ...stream
  } = options;
  let ctx = context;
  if (!ctx) {
    ctx = createDefaultContext();
    if (alpnProtocols) ctx.setAlpnProtocols(alpnProtocols);
  } else if (alpnProtocols) {
    throw new ValueError(
      'alpnProtocols applies to the default context: call setAlpnProtocols on yours',
    );
  }
  const pipe =
    transport ?? (await openTcp(host, port, chooseTcp(tcp, ctx.engine, 'connect'), timeoutMs));
  const socket = ctx.wrapSocket(pipe, {
    ...stream,
    serverHostname: serverHostname ?? host,
    ...(session ? { session } : {}),
    ...(timeoutMs ? { handshakeTimeoutMs: timeoutMs } : {}),
    ...(reactor ? { reactor } : {}),
  });
  await socket.handshake();
  return socket;
}

function openTcp(
  host: string,
  port: number,
  tcp: TcpKind,
  timeoutMs: number | undefined,
): Promise<Transport> {
  const options = { host, port, ...(timeoutMs ? { timeoutMs } : {}) };
  return tcp === 'native' ? NativeTcpTransport.connect(options) : TcpTransport.connect(options);
}

/** Options of {@link startTls}: the side, the name and session, the stream's and the reactor. */
export type StartTlsOptions = WrapSocketOptions;

/**
 * STARTTLS: upgrades an open plaintext transport to TLS and resolves once the handshake is done.
 * The transport must not be read by anyone else from now on.
 */
export async function startTls(
  transport: Transport,
  context: SSLContext,
  options: StartTlsOptions = {},
): Promise<SSLSocket<SSLContext>> {
  const socket = context.wrapSocket(transport, options);
  await socket.handshake();
  return socket;
}

/** Options of {@link getServerCertificate}. */
export interface ServerCertificateOptions {
  /** Verify the certificate against these CAs (a PEM file); default: do not verify. */
  caCerts?: string;
  timeoutMs?: number;
  reactor?: Reactor;
}

/**
 * Python's `get_server_certificate`: the server's leaf certificate as PEM. Without `caCerts` it
 * is fetched unverified (that is the point: to look at it); the hostname is never checked.
 */
export async function getServerCertificate(
  [host, port]: [string, number],
  options: ServerCertificateOptions = {},
): Promise<string> {
  const context = new SSLContext(PROTOCOL_TLS_CLIENT);
  context.checkHostname = false;
  if (options.caCerts) {
    context.verifyMode = CERT_REQUIRED;
    context.loadVerifyLocations({ cafile: options.caCerts });
  } else {
    context.verifyMode = CERT_NONE;
  }
  const socket = await connect({
    host,
    port,
    context,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.reactor ? { reactor: options.reactor } : {}),
  });
  try {
    const der = socket.getpeercert(true);
    if (!der) throw new ValueError(`${host}:${port} sent no certificate`);
    return derCertToPemCert(der);
  } finally {
    await socket.close();
  }
}
