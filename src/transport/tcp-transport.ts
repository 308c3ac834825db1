/**
 * A Transport over a `net.Socket`: IPv4 or IPv6, TCP_NODELAY on by default (TLS records are
 * already batched; Nagle would only add latency to small ones).
 */
import net from 'node:net';
import { Observable, ReplaySubject, Subject } from 'rxjs';
import { TCP_LINGER_MS } from './limits.js';
import type { Transport, TransportAddress } from './transport.js';

/** Options of {@link TcpTransport.connect}. */
export interface TcpConnectOptions {
  host: string;
  port: number;
  /** Disable Nagle's algorithm; default true. */
  noDelay?: boolean;
  /** Fail the connect after this long. */
  timeoutMs?: number;
}

/** A Transport over TCP. */
export class TcpTransport implements Transport {
  readonly #socket: net.Socket;
  readonly #writable = new Subject<void>();
  readonly #closed = new ReplaySubject<void>(1);
  #consumed = false;
  #lingering = false;

  readonly data$: Observable<Uint8Array>;
  readonly writable$: Observable<void> = this.#writable.asObservable();
  readonly closed$: Observable<void> = this.#closed.asObservable();

  /** Wraps a connected socket (as a server accepts it). */
  constructor(socket: net.Socket, options: { noDelay?: boolean } = {}) {
    this.#socket = socket;
    // The TLS layer decides when to close: Node's default would end our side as soon as the
    // peer's FIN is read, dropping the answer (and close_notify) still being encrypted.
    socket.allowHalfOpen = true;
    socket.setNoDelay(options.noDelay ?? true);
    socket.pause();
    socket.on('drain', () => this.#writable.next());
    socket.on('close', () => {
      this.#closed.next();
      this.#closed.complete();
      this.#writable.complete();
    });
    // An error without a data$ consumer must not crash the process; data$ reports it otherwise.
    socket.on('error', () => undefined);
    this.data$ = new Observable<Uint8Array>((subscriber) => {
      if (this.#consumed) {
        subscriber.error(
          new Error('TcpTransport.data$ has one consumer at a time and already has it'),
        );
        return undefined;
      }
      this.#consumed = true;
      const onData = (chunk: Buffer) => subscriber.next(chunk);
      const onEnd = () => subscriber.complete();
      const onError = (error: Error) => subscriber.error(error);
      const onClose = () => subscriber.complete();
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('error', onError);
      socket.once('close', onClose);
      if (socket.readableEnded) subscriber.complete();
      else socket.resume();
      return () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.pause();
        // One consumer at a time: after it leaves (an upgrade, unwrap), another may read on.
        this.#consumed = false;
      };
    });
  }

  ref(on: boolean): void {
    if (on) this.#socket.ref();
    else this.#socket.unref();
  }

  setNoDelay(noDelay: boolean): void {
    this.#socket.setNoDelay(noDelay);
  }

  setKeepAlive(enable: boolean, initialDelayMs: number): void {
    this.#socket.setKeepAlive(enable, initialDelayMs);
  }

  /** Connects to `host:port`; resolves once TCP is established. */
  static connect(options: TcpConnectOptions): Promise<TcpTransport> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port });
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              socket.destroy();
              reject(
                Object.assign(
                  new Error(
                    `tcp connect to ${options.host}:${options.port} did not complete within ${options.timeoutMs} ms`,
                  ),
                  { code: 'ETIMEDOUT' },
                ),
              );
            }, options.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', reject);
        resolve(new TcpTransport(socket, { noDelay: options.noDelay ?? true }));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** The socket underneath, for options rxtls does not wrap. */
  get socket(): net.Socket {
    return this.#socket;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#socket.destroyed || this.#socket.writableEnded) return false;
    return this.#socket.write(bytes);
  }

  end(): void {
    if (!this.#socket.destroyed) this.#socket.end();
  }

  /**
   * After end(), a plain destroy() lets what is still queued (the last records, the
   * close_notify) reach the kernel first, for at most {@link TCP_LINGER_MS} if the peer does not
   * read; with an error, or before end(), it closes at once.
   */
  destroy(error?: Error): void {
    const socket = this.#socket;
    if (error || socket.destroyed || !socket.writableEnded || socket.writableFinished) {
      socket.destroy(error);
      return;
    }
    if (this.#lingering) return;
    const timer = setTimeout(() => socket.destroy(), TCP_LINGER_MS);
    timer.unref();
    this.#lingering = true;
    socket.once('finish', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    if (this.#consumed) this.#socket.resume();
  }

  get localAddress(): TransportAddress | null {
    const { localAddress, localFamily, localPort } = this.#socket;
    return localAddress && localPort !== undefined
      ? { address: localAddress, family: localFamily ?? '', port: localPort }
      : null;
  }

  get remoteAddress(): TransportAddress | null {
    const { remoteAddress, remoteFamily, remotePort } = this.#socket;
    return remoteAddress && remotePort !== undefined
      ? { address: remoteAddress, family: remoteFamily ?? '', port: remotePort }
      : null;
  }
}
