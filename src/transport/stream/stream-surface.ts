/**
 * What the application sees of a secure stream: its plaintext, through the parts that hold it
 * (the plaintext reader and the write queue), and what the connection is, through the SSLObject's
 * information methods (Python's SSLSocket has the same ones) and the transport's addresses.
 * SSLSocket extends it, so the stream core (ssl-socket.ts) holds only the flows that move bytes.
 */
import { Observable } from 'rxjs';
import { STREAM_READ_SIZE } from '../limits.js';
import type { CipherTuple } from '../sansio/engine.js';
import type { ReadinessEvent, SSLObject, SSLSession } from '../sansio/ssl-object.js';
import type { Transport, TransportAddress } from '../transport.js';
import { LENT_DATA, type LendingStream } from './lent-data.js';
import type { PlaintextReader } from './plaintext-reader.js';
import type { WriteQueue } from './write-queue.js';

export abstract class SecureStreamSurface<C> implements LendingStream {
  readonly #sslobj: SSLObject<C>;
  readonly #transport: Transport;
  readonly #reader: PlaintextReader;
  readonly #writer: WriteQueue;

  #data$: Observable<Uint8Array> | undefined;

  /** Decrypted bytes; completes on close_notify (or a suppressed ragged EOF), errors on failure. */
  get data$(): Observable<Uint8Array> {
    // Made on first use: a stream read with read() or lentData$ never holds it.
    if (this.#data$ === undefined) {
      const reader = this.#reader;
      this.#data$ = new Observable<Uint8Array>((subscriber) => reader.attach(subscriber));
    }
    return this.#data$;
  }
  /** Emits when buffered writes fall below the high-water mark after write() returned false. */
  readonly writable$: Observable<void>;

  constructor(
    sslobj: SSLObject<C>,
    transport: Transport,
    reader: PlaintextReader,
    writer: WriteQueue,
  ) {
    this.#sslobj = sslobj;
    this.#transport = transport;
    this.#reader = reader;
    this.#writer = writer;
    this.writable$ = writer.writable$;
  }

  /** data$ lending its chunks, for rxtls's own consumers (lent-data.ts); made when asked for. */
  [LENT_DATA](): Observable<Uint8Array> {
    const reader = this.#reader;
    return new Observable<Uint8Array>((subscriber) => reader.attach(subscriber, true));
  }

  /**
   * Pull-style reading: resolves with up to `n` bytes (default: whatever is buffered), or empty
   * bytes at the end of the stream. Not for use together with data$.
   */
  read(n = STREAM_READ_SIZE): Promise<Buffer> {
    return this.#reader.read(n);
  }

  /** Stops delivering data$ (the reader is slow); the transport is paused once buffers fill. */
  pause(): void {
    this.#reader.pause();
  }

  /** Resumes data$ after pause(). */
  resume(): void {
    this.#reader.resume();
  }

  /**
   * Queues `data` for encryption. Returns false when the stream buffers more than its high-water
   * mark: keep the data (nothing is dropped) and wait for writable$ before writing more.
   */
  write(data: Uint8Array | string): boolean {
    return this.#writer.write(data);
  }

  /** The SSLObject this stream drives. */
  get sslobj(): SSLObject<C> {
    return this.#sslobj;
  }
  /** The transport the ciphertext travels on. */
  get transport(): Transport {
    return this.#transport;
  }

  /** The SSLObject's readiness events. */
  get readiness$(): Observable<ReadinessEvent> {
    return this.#sslobj.readiness$;
  }
  get context(): C {
    return this.#sslobj.context;
  }
  get serverSide(): boolean {
    return this.#sslobj.serverSide;
  }
  get serverHostname(): string | null {
    return this.#sslobj.serverHostname;
  }
  getpeercert(binaryForm?: false): object | null;
  getpeercert(binaryForm: true): Buffer | null;
  getpeercert(binaryForm = false): object | Buffer | null {
    return binaryForm ? this.#sslobj.getpeercert(true) : this.#sslobj.getpeercert();
  }
  getVerifiedChain(): Buffer[] {
    return this.#sslobj.getVerifiedChain();
  }
  getUnverifiedChain(): Buffer[] {
    return this.#sslobj.getUnverifiedChain();
  }
  cipher(): CipherTuple | null {
    return this.#sslobj.cipher();
  }
  sharedCiphers(): CipherTuple[] | null {
    return this.#sslobj.sharedCiphers();
  }
  compression(): string | null {
    return this.#sslobj.compression();
  }
  version(): string | null {
    return this.#sslobj.version();
  }
  selectedAlpnProtocol(): string | null {
    return this.#sslobj.selectedAlpnProtocol();
  }
  getChannelBinding(type = 'tls-unique'): Buffer | null {
    return this.#sslobj.getChannelBinding(type);
  }
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    return this.#sslobj.exportKeyingMaterial(length, label, context);
  }
  get session(): SSLSession | null {
    return this.#sslobj.session;
  }
  get sessionReused(): boolean {
    return this.#sslobj.sessionReused;
  }
  /** Whether the transport underneath keeps the event loop alive (net.Socket's ref/unref). */
  ref(on = true): void {
    this.#transport.ref?.(on);
  }
  /** TCP_NODELAY on the TCP this stream runs over, however deep (nothing without TCP). */
  setNoDelay(noDelay = true): void {
    this.#transport.setNoDelay?.(noDelay);
  }
  /** TCP keepalive on the TCP this stream runs over, however deep (nothing without TCP). */
  setKeepAlive(enable = false, initialDelayMs = 0): void {
    this.#transport.setKeepAlive?.(enable, initialDelayMs);
  }
  get localAddress(): TransportAddress | null {
    return this.#transport.localAddress;
  }
  get remoteAddress(): TransportAddress | null {
    return this.#transport.remoteAddress;
  }
}
