/**
 * TCP through the native addon: sockets on Node's own libuv loop without `net.Socket`'s stream
 * machinery. A NativeTcpTransport is a Transport like TcpTransport; under a secure stream whose
 * engine is native it becomes the fused path, where the ciphertext moves between the kernel and
 * OpenSSL in C and JavaScript handles plaintext only (fused-path.ts).
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { Observable, type Observer, ReplaySubject, Subject } from 'rxjs';
import type { EngineKind } from '../../sansio/engine.js';
import { ValueError } from '../../../errors/errors.js';
import type { SSLObject } from '../../sansio/ssl-object.js';
import { type CiphertextPath, OPEN_CIPHERTEXT_PATH } from '../../stream/ciphertext-path.js';
import { type FusedPath, openFusedPath } from './fused-path.js';
import { STREAM_HIGH_WATER_MARK, TCP_LINGER_MS } from '../../limits.js';
import {
  type NativeSocketBinding,
  type NativeSocketHandle,
  nativeBinding,
  nativeEngineAvailable,
  SocketEvent,
} from './native-binding.js';
import type { Transport, TransportAddress } from '../../transport.js';

/** True when the addon's TCP sockets can be used in this process. */
export function nativeTcpAvailable(): boolean {
  return nativeEngineAvailable();
}

/** Which TCP a server's or client's connections use (their `tcp` option). */
export type TcpKind = 'native' | 'node';

/**
 * The `tcp` option checked, or its default: the addon's sockets where the engine is native
 * (the fused path), `net` otherwise. `caller` names the API in the ValueError.
 */
export function chooseTcp(option: unknown, engine: EngineKind, caller: string): TcpKind {
  const tcp = option ?? (engine === 'native' && nativeTcpAvailable() ? 'native' : 'node');
  if (tcp !== 'native' && tcp !== 'node') {
    throw new ValueError(`${caller}: tcp must be 'native' or 'node', got ${String(tcp)}`);
  }
  if (tcp === 'native' && !nativeTcpAvailable()) {
    throw new ValueError(`${caller}: tcp 'native' needs the native addon, which did not load`);
  }
  return tcp;
}

function sockets(): NativeSocketBinding {
  return nativeBinding().socket;
}

/** An Error as Node's net reports one: `read ECONNRESET`, with `code` and `errno`. */
function socketError(syscall: string, errno: number, name: string): Error {
  return Object.assign(new Error(`${syscall} ${name}`), { code: name, errno, syscall });
}

/** A failed call as Node's net words it: `listen EADDRINUSE: address already in use 127.0.0.1:80`. */
function callError(syscall: string, error: unknown, host: string, port: number): Error {
  const { code, message } = error as { code?: string; message?: string };
  return Object.assign(new Error(`${syscall} ${code}: ${message} ${host}:${port}`), {
    code,
    syscall,
    address: host,
    port,
  });
}

function toAddress(parts: [string, string, number] | null): TransportAddress | null {
  return parts === null ? null : { address: parts[0], family: parts[1], port: parts[2] };
}

/** Options of {@link NativeTcpTransport.connect}. */
export interface NativeTcpConnectOptions {
  host: string;
  port: number;
  /** Fail the connect after this long. */
  timeoutMs?: number;
}

/** A Transport over a TCP socket the addon owns (TCP_NODELAY always on). */
export class NativeTcpTransport implements Transport {
  readonly #handle: NativeSocketHandle;
  // Made when someone first asks for writable$ or closed$: a stream over the fused path hears the
  // socket's drain and close directly (fused-path.ts), so most sockets never make them.
  #writable: Subject<void> | undefined;
  #writable$: Observable<void> | undefined;
  #closed: ReplaySubject<void> | undefined;
  #closed$: Observable<void> | undefined;
  /** The Close event came: subjects made later start closed. */
  #gone = false;
  /** Who reads: a data$ subscriber, or the fused path (which hears only the end or a failure). */
  #reader: Observer<Uint8Array> | undefined;
  #paused = false;
  #readEnded = false;
  #readError: Error | undefined;
  #ended = false;
  #finished = false;
  #closing = false;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** The fused path while this socket carries an engine's ciphertext (see fused-path.ts). */
  #fused: FusedPath | undefined;
  // Looked up when first asked (most connections never are), then kept.
  #local: TransportAddress | null | undefined;
  #remote: TransportAddress | null | undefined;
  #connected: boolean;
  /** Resolves a connect() in progress. */
  #onConnect: ((error: Error | undefined) => void) | undefined;

  #data$: Observable<Uint8Array> | undefined;

  /** Made when first asked: a socket under the fused path never is. */
  get data$(): Observable<Uint8Array> {
    this.#data$ ??= new Observable<Uint8Array>((subscriber) => this.#attach(subscriber));
    return this.#data$;
  }

  get writable$(): Observable<void> {
    if (this.#writable$ === undefined) {
      this.#writable = new Subject<void>();
      if (this.#gone) this.#writable.complete();
      this.#writable$ = this.#writable.asObservable();
    }
    return this.#writable$;
  }

  get closed$(): Observable<void> {
    if (this.#closed$ === undefined) {
      this.#closed = new ReplaySubject<void>(1);
      if (this.#gone) {
        this.#closed.next();
        this.#closed.complete();
      }
      this.#closed$ = this.#closed.asObservable();
    }
    return this.#closed$;
  }

  /** @internal Wraps a handle the addon made (an accepted or connecting socket). */
  constructor(handle: NativeSocketHandle, connected: boolean) {
    this.#handle = handle;
    sockets().setEvents(handle, this.#onEvent);
    this.#connected = connected;
  }

  /**
   * Connects to `host:port`; resolves once TCP is established. A name is resolved first and its
   * addresses are tried in turn (as `localhost` may be ::1 or 127.0.0.1), within `timeoutMs`.
   */
  static async connect(options: NativeTcpConnectOptions): Promise<NativeTcpTransport> {
    const { host, port, timeoutMs } = options;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const addresses = net.isIP(host)
      ? [host]
      : (await lookup(host, { all: true })).map((entry) => entry.address);
    let failure: unknown;
    for (const address of addresses) {
      const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      try {
        return await NativeTcpTransport.#connectTo(address, port, left);
      } catch (error) {
        failure = error;
        if ((error as NodeJS.ErrnoException).code === 'ETIMEDOUT') break;
      }
    }
    if (failure instanceof Error && (failure as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      failure.message = `tcp connect to ${host}:${port} did not complete within ${timeoutMs} ms`;
    }
    throw failure;
  }

  static #connectTo(
    address: string,
    port: number,
    timeoutMs: number | undefined,
  ): Promise<NativeTcpTransport> {
    return new Promise((resolve, reject) => {
      let handle: NativeSocketHandle;
      try {
        handle = sockets().connect(address, port, () => undefined);
      } catch (error) {
        reject(callError('connect', error, address, port));
        return;
      }
      const transport = new NativeTcpTransport(handle, false);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              transport.#onConnect = undefined;
              transport.destroy();
              reject(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }));
            }, timeoutMs);
      transport.#onConnect = (error) => {
        clearTimeout(timer);
        if (error === undefined) {
          resolve(transport);
          return;
        }
        transport.destroy();
        // As Node words it: connect ECONNREFUSED 127.0.0.1:8443
        error.message = `${error.message} ${address}:${port}`;
        reject(Object.assign(error, { address, port }));
      };
    });
  }

  readonly #onEvent = (kind: number, a: unknown, b: unknown): void => {
    switch (kind) {
      case SocketEvent.Fed:
        this.#fused?.fed(a as number, b as number);
        return;
      case SocketEvent.Data:
        this.#reader?.next(a as Buffer);
        return;
      case SocketEvent.End:
        this.#readEnded = true;
        this.#fused?.endReached();
        this.#takeReader()?.complete();
        return;
      case SocketEvent.Error:
        this.#fail(socketError(this.#onConnect ? 'connect' : 'read', a as number, b as string));
        return;
      case SocketEvent.WriteError:
        this.#fail(socketError('write', a as number, b as string));
        return;
      case SocketEvent.Drain:
        this.#fused?.drained();
        this.#writable?.next();
        return;
      case SocketEvent.Finish:
        this.#finished = true;
        if (this.#lingerTimer !== undefined) this.#close(false);
        return;
      case SocketEvent.Connect: {
        const connected = this.#onConnect;
        this.#onConnect = undefined;
        this.#connected = (a as number) === 0;
        connected?.(
          (a as number) === 0 ? undefined : socketError('connect', a as number, b as string),
        );
        return;
      }
      case SocketEvent.Close:
        clearTimeout(this.#lingerTimer);
        this.#closing = true;
        // Closed here rather than by the peer's FIN: the engine has seen the end (native/fusion.c).
        this.#fused?.endReached();
        this.#takeReader()?.complete();
        this.#gone = true;
        this.#fused?.closed();
        this.#closed?.next();
        this.#closed?.complete();
        this.#writable?.complete();
        return;
    }
  };

  /** The reader, let go of: it hears the end or a failure once. */
  #takeReader(): Observer<Uint8Array> | undefined {
    const reader = this.#reader;
    this.#reader = undefined;
    return reader;
  }

  #startReading(reader: Observer<Uint8Array>): void {
    this.#reader = reader;
    if (!this.#paused) sockets().readStart(this.#handle);
  }

  #stopReading(reader: Observer<Uint8Array>): void {
    if (this.#reader !== reader) return;
    this.#reader = undefined;
    if (!this.#closing) sockets().readStop(this.#handle);
  }

  #attach(subscriber: Observer<Uint8Array>): () => void {
    if (this.#reader) {
      subscriber.error(
        new Error('NativeTcpTransport.data$ has one consumer at a time and already has it'),
      );
      return () => undefined;
    }
    if (this.#readError) {
      subscriber.error(this.#readError);
      return () => undefined;
    }
    if (this.#readEnded || this.#closing) {
      subscriber.complete();
      return () => undefined;
    }
    this.#startReading(subscriber);
    return () => this.#stopReading(subscriber);
  }

  #fail(error: Error): void {
    this.#readError = error;
    const connecting = this.#onConnect;
    this.#onConnect = undefined;
    connecting?.(error);
    this.#takeReader()?.error(error);
    this.#close(false);
  }

  #close(reset: boolean): void {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#lingerTimer);
    sockets().close(this.#handle, reset);
  }

  /**
   * @internal The fused path: the engine behind `sslobj` takes this socket's ciphertext. Only a
   * fresh socket (nothing read yet, no reader) and a native engine qualify; undefined otherwise.
   */
  [OPEN_CIPHERTEXT_PATH](sslobj: SSLObject<unknown>): CiphertextPath | undefined {
    if (this.#reader || this.#readEnded || this.#closing || this.#fused) return undefined;
    this.#fused = openFusedPath(
      {
        handle: this.#handle,
        startReading: (reader) => this.#startReading(reader),
        stopReading: (reader) => this.#stopReading(reader),
        onUnfused: () => {
          this.#fused = undefined;
        },
      },
      sslobj,
    );
    return this.#fused;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closing || this.#ended) return false;
    let queued: number;
    try {
      queued = sockets().write(this.#handle, bytes);
    } catch (error) {
      this.#fail(error as Error);
      return false;
    }
    return queued < STREAM_HIGH_WATER_MARK;
  }

  end(): void {
    if (this.#closing || this.#ended) return;
    this.#ended = true;
    try {
      sockets().end(this.#handle);
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /**
   * As TcpTransport: after end(), a plain destroy() lets the queued bytes (the last records, the
   * close_notify) reach the peer first, for at most {@link TCP_LINGER_MS}; with an error, or
   * before end(), it closes at once (an error resets the connection).
   */
  destroy(error?: Error): void {
    if (this.#closing) return;
    if (error) {
      this.#takeReader()?.error(error);
      this.#close(true);
      return;
    }
    if (!this.#ended || this.#finished) {
      this.#close(false);
      return;
    }
    if (this.#lingerTimer !== undefined) return;
    this.#lingerTimer = setTimeout(() => this.#close(false), TCP_LINGER_MS);
    this.#lingerTimer.unref();
  }

  ref(on: boolean): void {
    if (!this.#closing) sockets().ref(this.#handle, on);
  }

  setNoDelay(noDelay: boolean): void {
    if (!this.#closing) sockets().setNoDelay(this.#handle, noDelay);
  }

  setKeepAlive(enable: boolean, initialDelayMs: number): void {
    // libuv counts the delay in whole seconds; keepalive wants at least one.
    const seconds = Math.max(1, Math.round(initialDelayMs / 1000));
    if (!this.#closing) sockets().setKeepAlive(this.#handle, enable, seconds);
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (this.#reader && !this.#closing) sockets().readStop(this.#handle);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#reader && !this.#closing && !this.#readEnded) sockets().readStart(this.#handle);
  }

  get localAddress(): TransportAddress | null {
    this.#local ??= this.#address(false);
    return this.#local ?? null;
  }

  get remoteAddress(): TransportAddress | null {
    this.#remote ??= this.#address(true);
    return this.#remote ?? null;
  }

  /** null until connected, and once closed if nobody asked before. */
  #address(remote: boolean): TransportAddress | null | undefined {
    if (!this.#connected) return undefined;
    if (this.#closing) return null;
    return toAddress(sockets().address(this.#handle, remote));
  }
}

/** How a {@link NativeTcpListener} shares its address. */
export interface NativeListenOptions {
  /**
   * SO_REUSEPORT: several processes of one server listen on the same address and the kernel
   * spreads connections over them (Linux; elsewhere the call fails with ENOTSUP).
   */
  reusePort?: boolean;
}

/** A TCP listener whose connections are NativeTcpTransports. */
export class NativeTcpListener {
  readonly #handle: NativeSocketHandle;
  readonly #closed = new ReplaySubject<void>(1);
  #closing = false;
  #address: TransportAddress | null;

  private constructor(
    host: string,
    port: number,
    backlog: number,
    onConnection: ((transport: NativeTcpTransport) => void) | undefined,
    reusePort: boolean,
  ) {
    const events = (kind: number, a: unknown) => {
      if (kind === SocketEvent.Connection) {
        onConnection?.(new NativeTcpTransport(a as NativeSocketHandle, true));
      } else if (kind === SocketEvent.Close) {
        this.#closed.next();
        this.#closed.complete();
      }
      // Accept errors (EMFILE) leave the listener listening, as net.Server does.
    };
    const listening = onConnection !== undefined;
    this.#handle = sockets().listen(host, port, backlog, events, reusePort, listening);
    this.#address = toAddress(sockets().address(this.#handle, false));
  }

  /** Listens on `host:port` (an IP address; port 0 picks a free one). Throws as net would. */
  static listen(
    host: string,
    port: number,
    onConnection: (transport: NativeTcpTransport) => void,
    backlog = 511,
    options: NativeListenOptions = {},
  ): NativeTcpListener {
    try {
      return new NativeTcpListener(host, port, backlog, onConnection, options.reusePort ?? false);
    } catch (error) {
      throw callError('listen', error, host, port);
    }
  }

  /**
   * Binds `host:port` with SO_REUSEPORT without listening: holds the address (a port 0 becomes a
   * fixed one) for the processes that will listen on it with `reusePort`, and takes no connection.
   */
  static reserve(host: string, port: number): NativeTcpListener {
    try {
      return new NativeTcpListener(host, port, 0, undefined, true);
    } catch (error) {
      throw callError('listen', error, host, port);
    }
  }

  address(): TransportAddress | null {
    return this.#address;
  }

  /** Stops listening; resolves once the handle is closed. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#address = null;
      sockets().close(this.#handle, false);
    }
    return new Promise((resolve) => this.#closed.subscribe({ complete: resolve }));
  }
}
