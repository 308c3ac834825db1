/**
 * `toNodeDuplex`: a secure stream as a Node `stream.Duplex` that behaves as Node's own TLS socket
 * where Node's `http`, `http2` and `ws` look (docs/architecture.md, HTTP over rxtls):
 *
 * - lossless: what write() accepted reaches the peer even when destroy() follows at once (Node's
 *   http server writes its `400 Bad Request` and destroys the socket), and the connection then
 *   ends with close_notify where it still stands; `end()` sends close_notify after everything
 *   written;
 * - errors carry the codes Node's sockets use where those modules check them (`ECONNRESET` for a
 *   transport that failed, `EPIPE` for a write after the end), the TLS error as their `cause`;
 * - the socket's properties and methods they read: addresses, `encrypted`, `alpnProtocol`,
 *   `authorized`, the peer certificate and the cipher, `bytesRead`/`bytesWritten`, and
 *   `setTimeout`/`setNoDelay`/`setKeepAlive` with their real effect (an idle timer; the TCP
 *   options of the transport underneath, where there is TCP).
 */
import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { Subscription } from 'rxjs';
import { SSLSyscallError, ValueError } from '../errors/errors.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/** An Error as Node's net words one, with the TLS error it stands for as `cause`. */
function socketError(syscall: string, code: string, cause: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall, cause });
}

/**
 * What the modules see of a stream error: a transport failure keeps the transport's code
 * (ECONNRESET, EPIPE...) as Node's sockets report it; a TLS failure stays the SSLError it is.
 */
function asSocketError(error: unknown): Error {
  if (error instanceof SSLSyscallError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return socketError('read', typeof code === 'string' ? code : 'ECONNRESET', error);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A secure stream as a Node Duplex with the socket-like surface of a TLSSocket. */
export class SecureDuplex extends Duplex {
  readonly #socket: SSLSocket<unknown>;
  #subscription: Subscription | undefined;
  #bytesRead = 0;
  #bytesWritten = 0;
  #timeoutMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Node's TLSSocket says so; http2 and https check it. */
  readonly encrypted = true;

  constructor(socket: SSLSocket<unknown>) {
    super({ allowHalfOpen: true });
    this.#socket = socket;
    this.once('close', () => clearTimeout(this.#timer));
  }

  /** The secure stream this Duplex carries. */
  get secureStream(): SSLSocket<unknown> {
    return this.#socket;
  }

  override _read(): void {
    this.#socket.resume();
    this.#subscription ??= this.#socket.data$.subscribe({
      next: (bytes) => {
        this.#bytesRead += bytes.length;
        this.#touch();
        if (!this.push(bytes)) this.#socket.pause();
      },
      complete: () => this.push(null),
      error: (error: unknown) => this.destroy(asSocketError(error)),
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void) {
    this.#send(chunk, callback);
  }

  /**
   * What Node buffered while corked goes out as one write: http's head and body of a response
   * become one TLS record and one send, not one of each per chunk (docs/architecture.md, HTTP
   * over rxtls).
   */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    const only = chunks.length === 1 ? chunks[0]?.chunk : undefined;
    this.#send(only ?? Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  #send(chunk: Buffer, callback: (error?: Error) => void): void {
    let ok: boolean;
    try {
      ok = this.#socket.write(chunk);
    } catch (error) {
      // The stream was closed for writing (close(), end()): as a socket whose end was sent.
      callback(
        error instanceof ValueError ? socketError('write', 'EPIPE', error) : (error as Error),
      );
      return;
    }
    if (this.#socket.state === 'closing' || this.#socket.state === 'closed') {
      callback(socketError('write', 'EPIPE', this.#socket.error));
      return;
    }
    this.#bytesWritten += chunk.length;
    this.#touch();
    if (ok) {
      callback();
      return;
    }
    const subscription = this.#socket.writable$.subscribe({
      next: () => {
        subscription.unsubscribe();
        callback();
      },
      complete: () => callback(socketError('write', 'EPIPE', this.#socket.error)),
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    // close_notify after everything written; the peer's answer is awaited by the stream.
    this.#socket.close().then(
      () => callback(),
      (error: unknown) => callback(asSocketError(error)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#subscription?.unsubscribe();
    clearTimeout(this.#timer);
    // What write() accepted and Node still buffers goes to the stream first (it is dropped from
    // here after this call); then close_notify after it, where the connection still stands.
    const pending = (this as { writableBuffer?: { chunk: unknown }[] }).writableBuffer ?? [];
    for (const { chunk } of pending) {
      try {
        if (chunk instanceof Uint8Array) this.#socket.write(chunk);
      } catch {
        break; // closed for writing already: nothing more can go out
      }
    }
    void this.#socket.close().catch(() => undefined);
    callback(error);
  }

  // --- what Node's modules read of a socket ----------------------------------------------------

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress?.address;
  }
  get remotePort(): number | undefined {
    return this.#socket.remoteAddress?.port;
  }
  get remoteFamily(): string | undefined {
    return this.#socket.remoteAddress?.family;
  }
  get localAddress(): string | undefined {
    return this.#socket.localAddress?.address;
  }
  get localPort(): number | undefined {
    return this.#socket.localAddress?.port;
  }
  /** Plaintext bytes read and written, as a TLSSocket counts them. */
  get bytesRead(): number {
    return this.#bytesRead;
  }
  get bytesWritten(): number {
    return this.#bytesWritten;
  }
  /** The protocol ALPN selected, or false (as a TLSSocket says it). */
  get alpnProtocol(): string | false {
    return this.#socket.sslobj.handshakeComplete
      ? (this.#socket.selectedAlpnProtocol() ?? false)
      : false;
  }
  /** Whether the peer's certificate was verified. */
  get authorized(): boolean {
    const cert = this.#socket.sslobj.handshakeComplete ? this.#socket.getpeercert() : null;
    return cert !== null && Object.keys(cert).length > 0;
  }
  getProtocol(): string | null {
    return this.#socket.version();
  }
  getCipher(): { name: string; standardName: string; version: string } | undefined {
    const cipher = this.#socket.cipher();
    return cipher ? { name: cipher[0], standardName: cipher[0], version: cipher[1] } : undefined;
  }
  /** The peer certificate as Node's TLSSocket describes it ({} without one). */
  getPeerCertificate(): object {
    const der = this.#socket.sslobj.handshakeComplete ? this.#socket.getpeercert(true) : null;
    return der ? new X509Certificate(der).toLegacyObject() : {};
  }
  getPeerX509Certificate(): X509Certificate | undefined {
    const der = this.#socket.sslobj.handshakeComplete ? this.#socket.getpeercert(true) : null;
    return der ? new X509Certificate(der) : undefined;
  }

  /** Emits 'timeout' after `ms` without traffic (0 disables), as a net.Socket does. */
  setTimeout(ms: number, callback?: () => void): this {
    this.#timeoutMs = ms;
    if (callback) this.once('timeout', callback);
    this.#touch();
    return this;
  }
  /** Keeps the event loop alive while the connection is open (the default), as net.Socket. */
  ref(): this {
    this.#socket.ref(true);
    return this;
  }
  /** Lets the event loop end while the connection is open, as net.Socket. */
  unref(): this {
    this.#socket.ref(false);
    return this;
  }
  /** TCP_NODELAY on the TCP underneath, if there is one. */
  setNoDelay(noDelay = true): this {
    this.#socket.setNoDelay(noDelay);
    return this;
  }
  /** TCP keepalive on the TCP underneath, if there is one. */
  setKeepAlive(enable = false, initialDelayMs = 0): this {
    this.#socket.setKeepAlive(enable, initialDelayMs);
    return this;
  }

  #touch(): void {
    clearTimeout(this.#timer);
    if (this.#timeoutMs > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
      this.#timer.unref();
    }
  }
}

/** Wraps `socket` in a Duplex with backpressure both ways (see {@link SecureDuplex}). */
export function toNodeDuplex(socket: SSLSocket<unknown>): SecureDuplex {
  return new SecureDuplex(socket);
}
