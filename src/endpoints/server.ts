/**
 * `createServer`: a TCP listener whose connections become secure streams, with a connection
 * limit, an observable of connections and a graceful close.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { type Observable, Subject } from 'rxjs';
import { createContainer, type DependencyContainer, registerDefaults } from '../di/container.js';
import type { SSLContext, WrapSocketOptions } from '../context/ssl-context.js';
import { REACTOR, SERVER_CONTEXT } from '../di/tokens.js';
import { ValueError } from '../errors/errors.js';
import { defaultReactor, type Reactor, type ReactorStats } from '../transport/stream/reactor.js';
import { WHEN_CLOSED } from '../transport/stream/close-hook.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import {
  chooseTcp,
  NativeTcpListener,
  type NativeTcpTransport,
  type TcpKind,
} from '../transport/engines/native/native-tcp.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { Transport, TransportAddress } from '../transport/transport.js';
import type { ProtocolSpec } from '../protocol/protocol.js';
import { type ClusterServerOptions, ServerCluster } from './cluster/server-cluster.js';
import {
  DEFAULT_HANDSHAKE_QUEUE,
  DEFAULT_MAX_HANDSHAKES,
  type GatedConnection,
  HandshakeGate,
  type HandshakeGateStats,
} from './handshake-gate.js';
import { runProtocol } from './run-protocol.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /**
   * The server policy (certificate, verification); default: SERVER_CONTEXT resolved from
   * `container` (register the certificate there, see registerDefaults).
   */
  context?: SSLContext;
  /** Runs on each connection after its handshake: a function or a Protocol class (see runProtocol). */
  protocol?: ProtocolSpec;
  /**
   * Where SERVER_CONTEXT, REACTOR and Protocol classes are resolved; default: a child of
   * createContainer() with registerDefaults.
   */
  container?: DependencyContainer;
  /**
   * How long a connection may take from accept to a completed handshake, waiting for a slot
   * included; 0 disables. Default 10 000 (a server's, against clients that dribble their
   * ClientHello; `connect()` keeps asyncio's 60 s): see README, Limits under attack.
   */
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  shutdownTimeoutMs?: number;
  /** Refuse TCP connections beyond this many at once. */
  maxConnections?: number;
  /** Handshakes worked on at once (default 128); later connections wait for a slot. */
  maxHandshakes?: number;
  /** Connections that may wait for a handshake slot (default 1024); beyond, they are closed. */
  handshakeQueue?: number;
  /** Connections one client address may hold at once (default: no limit). */
  maxConnectionsPerAddress?: number;
  suppressRaggedEofs?: boolean;
  /** Each connection's data$ lends its chunks: see SSLSocketOptions.borrowedReads. */
  borrowedReads?: boolean;
  reactor?: Reactor;
  /**
   * Which TCP carries the connections: 'native', the addon's sockets, where the native engine's
   * ciphertext never enters JavaScript (the fused path); or 'node', `net.Server` and its sockets.
   * Default: 'native' when the context's engine is native, 'node' otherwise.
   */
  tcp?: TcpKind;
  /**
   * Native TCP only: listen with SO_REUSEPORT, so that other processes of the same server listen
   * on the same address and the kernel spreads connections over them (the worker processes of
   * `createServer({ workers })` do; docs/architecture.md, Serving on every core).
   */
  reusePort?: boolean;
}

/**
 * A server's live counts: its reactor's, with `connections` this server's own, and its handshake
 * gate's (handshake-gate.ts).
 */
export type ServerStats = ReactorStats & HandshakeGateStats;

/**
 * A server's default handshake deadline: a production server cannot let a client that dribbles
 * its ClientHello hold a handshake slot for asyncio's 60 s (docs/architecture.md, Limits under
 * attack).
 */
export const SERVER_HANDSHAKE_TIMEOUT_MS = 10_000;

/** A TLS server. */
export class Server {
  readonly #options: ServerOptions;
  readonly #context: SSLContext;
  readonly #container: DependencyContainer | undefined;
  readonly #reactor: Reactor;
  /** `net`'s server; undefined when the connections use native TCP (then #listener, once listening). */
  readonly #tcp: net.Server | undefined;
  #listener: NativeTcpListener | undefined;
  readonly #onSocket: ((socket: SSLSocket<SSLContext>) => void) | undefined;
  readonly #connections = new Subject<SSLSocket<SSLContext>>();
  readonly #live = new Set<SSLSocket<SSLContext>>();
  /** What every connection's stream is made with (the same for all: made once). */
  readonly #streamOptions: WrapSocketOptions;
  readonly #gate: HandshakeGate;

  /** Every accepted connection, as soon as TCP is up (before its handshake completes). */
  readonly connections$: Observable<SSLSocket<SSLContext>> = this.#connections.asObservable();

  constructor(options: ServerOptions, onSocket?: (socket: SSLSocket<SSLContext>) => void) {
    if (!options || typeof options !== 'object') {
      throw new ValueError('createServer needs options: a context or a container that has one');
    }
    this.#options = options;
    // A container is needed only to find what was not passed.
    const container =
      options.container ??
      (options.context && options.reactor ? undefined : registerDefaults(createContainer()));
    this.#context = options.context ?? (container as DependencyContainer).resolve(SERVER_CONTEXT);
    this.#reactor =
      options.reactor ??
      (container?.isRegistered(REACTOR, true) ? container.resolve(REACTOR) : defaultReactor());
    if (options.protocol) {
      // Protocols inject the context and the reactor this server runs on, whichever they are.
      this.#container = (container ?? registerDefaults(createContainer())).createChildContainer();
      this.#container.register(SERVER_CONTEXT, { useValue: this.#context });
      this.#container.register(REACTOR, { useValue: this.#reactor });
    }
    this.#onSocket = onSocket;
    const o = options;
    const handshakeTimeoutMs = o.handshakeTimeoutMs ?? SERVER_HANDSHAKE_TIMEOUT_MS;
    this.#streamOptions = {
      serverSide: true,
      reactor: this.#reactor,
      handshakeTimeoutMs,
      ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
      ...(o.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: o.shutdownTimeoutMs } : {}),
      ...(o.suppressRaggedEofs !== undefined ? { suppressRaggedEofs: o.suppressRaggedEofs } : {}),
      ...(o.borrowedReads !== undefined ? { borrowedReads: o.borrowedReads } : {}),
    };
    this.#gate = new HandshakeGate(
      {
        maxHandshakes: positive(o.maxHandshakes, 'maxHandshakes') ?? DEFAULT_MAX_HANDSHAKES,
        handshakeQueue: positive(o.handshakeQueue, 'handshakeQueue', 0) ?? DEFAULT_HANDSHAKE_QUEUE,
        queueTimeoutMs: handshakeTimeoutMs,
        maxConnectionsPerAddress: positive(o.maxConnectionsPerAddress, 'maxConnectionsPerAddress'),
      },
      (transport, closed) => this.#start(transport, closed),
    );
    if (chooseTcp(options.tcp, this.#context.engine, 'createServer') === 'node') {
      this.#tcp = net.createServer({ pauseOnConnect: true }, (socket) =>
        this.#accept(new TcpTransport(socket)),
      );
      if (options.maxConnections !== undefined) this.#tcp.maxConnections = options.maxConnections;
    }
  }

  #accept(transport: Transport): void {
    const o = this.#options;
    const native = this.#tcp === undefined; // net.Server enforces maxConnections itself
    const held = this.#live.size + this.#gate.queued;
    if (native && o.maxConnections !== undefined && held >= o.maxConnections) {
      // As net.Server does beyond maxConnections: the connection is closed at once.
      transport.destroy();
      return;
    }
    this.#gate.offer(transport);
  }

  /** The gate gave the connection a handshake slot: its stream is made (the handshake starts). */
  #start(transport: Transport, closed: () => void): GatedConnection | undefined {
    const o = this.#options;
    let socket: SSLSocket<SSLContext>;
    try {
      socket = this.#context.wrapSocket(transport, this.#streamOptions);
    } catch {
      // The engine refused the context for this connection (docs/architecture.md, Containment):
      // it is this connection's end, not the server's.
      transport.destroy();
      return undefined;
    }
    this.#live.add(socket);
    socket[WHEN_CLOSED](() => {
      this.#live.delete(socket);
      closed();
    });
    const connection = { handshakeDone: socket.handshake() };
    try {
      if (o.protocol) runProtocol(socket, o.protocol, this.#container);
      this.#onSocket?.(socket);
    } catch (error) {
      // Application code for one connection fails that connection only.
      socket.destroy(error instanceof Error ? error : new Error(String(error)));
      return connection;
    }
    this.#connections.next(socket);
    return connection;
  }

  /** Starts listening; default host 127.0.0.1, port 0 (any free one). */
  async listen(port = 0, host = '127.0.0.1'): Promise<TransportAddress> {
    const tcp = this.#tcp;
    if (tcp === undefined) {
      const ip = net.isIP(host) ? host : (await lookup(host)).address;
      const accept = (transport: NativeTcpTransport) => this.#accept(transport);
      const reusePort = this.#options.reusePort ?? false;
      this.#listener = NativeTcpListener.listen(ip, port, accept, undefined, { reusePort });
      return this.address() as TransportAddress;
    }
    return new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host, () => {
        tcp.off('error', reject);
        resolve(this.address() as TransportAddress);
      });
    });
  }

  /** Where the server listens, or null before listen(). */
  address(): TransportAddress | null {
    if (this.#tcp === undefined) return this.#listener?.address() ?? null;
    const address = this.#tcp.address();
    return address && typeof address === 'object'
      ? { address: address.address, family: address.family, port: address.port }
      : null;
  }

  /** The server's context (given, or resolved from the container). */
  get context(): SSLContext {
    return this.#context;
  }

  /**
   * The live counts: handshakes and bytes of the reactor the server runs on (its own unless it
   * shares one), and this server's open connections.
   */
  stats(): ServerStats {
    return { ...this.#reactor.stats(), connections: this.#live.size, ...this.#gate.stats() };
  }

  /** Connections not yet closed. */
  get connections(): ReadonlySet<SSLSocket<SSLContext>> {
    return this.#live;
  }

  /**
   * Stops accepting, then closes every connection gracefully (close_notify, waiting for the
   * peers' up to `timeoutMs`), then aborts what is left.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const tcp = this.#tcp;
    const stopped =
      tcp === undefined
        ? (this.#listener?.close() ?? Promise.resolve())
        : new Promise<void>((resolve) => tcp.close(() => resolve()));
    this.#gate.close();
    const timeoutMs = options.timeoutMs ?? this.#options.shutdownTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([
      Promise.allSettled([...this.#live].map((socket) => socket.close())),
      deadline,
    ]);
    clearTimeout(timer);
    for (const socket of [...this.#live]) socket.abort();
    this.#connections.complete();
    await stopped;
  }
}

/** A limit option: undefined, or an integer of at least `least` (ValueError otherwise). */
function positive(value: number | undefined, name: string, least = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < least) {
    throw new ValueError(`${name} must be an integer >= ${least}, not ${value}`);
  }
  return value;
}

/**
 * A TLS server; `protocol` runs on each connection after its handshake, and `onSocket` (or
 * `connections$`) gets each connection as soon as TCP is up. With `workers`, the server runs in
 * that many processes (a {@link ServerCluster}), each set up by `workerModule`.
 *
 * @example
 * ```ts
 * const server = createServer({ context, protocol: (input$) => input$ }); // echo
 * await server.listen(8443);
 * // or resolve the context (and a Protocol class's dependencies) from a container:
 * const container = registerDefaults(createContainer(), { certificate: { certfile, keyfile } });
 * createServer({ container, protocol: EchoProtocol });
 * // or on every core, each worker set up by a module of yours:
 * const cluster = createServer({ workers: 'auto', workerModule: new URL('./worker.js', import.meta.url) });
 * ```
 */
export function createServer(options: ClusterServerOptions): ServerCluster;
export function createServer(
  options: ServerOptions,
  onSocket?: (socket: SSLSocket<SSLContext>) => void,
): Server;
export function createServer(
  options: ServerOptions | ClusterServerOptions,
  onSocket?: (socket: SSLSocket<SSLContext>) => void,
): Server | ServerCluster {
  if (
    options &&
    typeof options === 'object' &&
    'workers' in options &&
    options.workers !== undefined
  ) {
    return new ServerCluster(options as ClusterServerOptions);
  }
  return new Server(options as ServerOptions, onSocket);
}
