/**
 * The fused path (docs/architecture.md, "The fused path"): the addon's TCP socket carries a
 * native engine's ciphertext itself. The socket lends what it reads to OpenSSL's read BIO, and
 * OpenSSL's output goes to the kernel at the end of each driving call (native/fusion.c); the bytes
 * never reach JavaScript. What the secure stream still needs to know of them, it learns here as a
 * CiphertextPath: the socket reports what it fed and when it ended, the engine what each driving
 * call left queued and sent.
 *
 * This file is the one place that pairs an engine with a socket: the stream, the SSLObject and the
 * engine seam know nothing of it.
 */
import type { Observer } from 'rxjs';
import { STREAM_HIGH_WATER_MARK } from '../../limits.js';
import { engineOf, type SSLObject } from '../../sansio/ssl-object.js';
import type { CiphertextPath, CiphertextSink } from '../../stream/ciphertext-path.js';
import { type NativeSocketHandle, nativeBinding } from './native-binding.js';
import { NativeEngine } from './native-engine.js';

/** The socket's side of a fusion: its reads, and the end of the fusion. */
export interface FusedSocket {
  readonly handle: NativeSocketHandle;
  /**
   * Starts reading into the engine with `reader` in the place of a data$ subscriber: it hears
   * the end or a failure once (never a chunk: the socket feeds the engine). No subscription: a
   * subscriber and its teardown per connection are memory an idle connection keeps
   * (docs/architecture.md, "Memory per idle connection").
   */
  startReading(reader: Observer<Uint8Array>): void;
  stopReading(reader: Observer<Uint8Array>): void;
  /** The fusion ended: the socket routes its events as a plain transport again. */
  onUnfused(): void;
}

/** Ciphertext between a native socket and a native engine, counted as a MemoryBIO would count it. */
export class FusedPath implements CiphertextPath, Observer<Uint8Array> {
  readonly #socket: FusedSocket;
  #sink: CiphertextSink | undefined;
  /** Between open() and close(): the stream hears the socket's drain, end and close. */
  #hearing = false;
  /** Every ciphertext byte the socket fed the engine (MemoryBIO's `written`). */
  #written = 0;
  /** The socket's EOF reached the engine (MemoryBIO's `eofWritten`). */
  #eofWritten = false;
  /** Ciphertext the read BIO holds, not consumed yet. */
  #unread = 0;
  /** Ciphertext the socket queues because the kernel has not taken it yet. */
  #queued = 0;
  /** Ciphertext the engine sent since the last flush (for the byte counts). */
  #sent = 0;

  constructor(socket: FusedSocket) {
    this.#socket = socket;
  }

  // --- the counts, as the engine's starvation memo reads a MemoryBIO's -------------------------

  get written(): number {
    return this.#written;
  }

  get eofWritten(): boolean {
    return this.#eofWritten;
  }

  // --- CiphertextPath ---------------------------------------------------------------------------

  get received(): number {
    return this.#written;
  }

  get ended(): boolean {
    return this.#eofWritten;
  }

  get unread(): number {
    return this.#unread;
  }

  /** Fused, the engine's output is on the socket when its call returns. */
  get unsent(): number {
    return 0;
  }

  open(sink: CiphertextSink): void {
    this.#sink = sink;
    this.#hearing = true;
    // What the socket reads goes to the engine; the path hears only how reading ends.
    this.#socket.startReading(this);
  }

  flush(): boolean {
    const sent = this.#sent;
    if (sent > 0) {
      this.#sent = 0;
      this.#sink?.sent(sent);
    }
    return this.#queued < STREAM_HIGH_WATER_MARK;
  }

  release(): Buffer {
    this.#socket.onUnfused();
    return nativeBinding().socket.unfuse(this.#socket.handle);
  }

  close(): void {
    if (!this.#hearing) return;
    this.#hearing = false;
    this.#socket.stopReading(this);
  }

  // --- what the socket reports ------------------------------------------------------------------

  /** The socket fed the read BIO `count` bytes; it now holds `held`. */
  fed(count: number, held: number): void {
    this.#written += count;
    this.#unread = held;
    this.#sink?.arrived(count);
  }

  /** The socket's end reached the engine: the peer's FIN, or the socket closing under it. */
  endReached(): void {
    this.#eofWritten = true;
  }

  // --- as the socket's reader (Observer): how reading ends ---------------------------------------

  /** Never called: the socket feeds the engine, not its reader. */
  next(): void {}

  /** Reading ended (after endReached): nothing more will be fed. */
  complete(): void {
    if (this.#hearing) this.#sink?.ended();
  }

  /** Reading failed (a reset, a read error, a destroy with an error). */
  error(error: Error): void {
    if (this.#hearing) this.#sink?.failed(error);
  }

  /**
   * Everything the socket queued has reached the kernel. The socket tells the path directly, as
   * it tells it that it closed: the stream needs no subscriptions to its writable$ and closed$,
   * and the socket makes those subjects only for someone else (docs/architecture.md, "Memory per
   * idle connection").
   */
  drained(): void {
    this.#queued = 0;
    if (this.#hearing) this.#sink?.drained();
  }

  /** The socket has closed both ways. */
  closed(): void {
    if (this.#hearing) this.#sink?.closed();
  }

  // --- what the engine reports after each driving call ------------------------------------------

  /** The driving call left `queued` bytes on the socket and `unread` in the read BIO, and sent `sent`. */
  driven(queued: number, unread: number, sent: number): void {
    this.#queued = queued;
    this.#unread = unread;
    this.#sent += sent;
  }
}

/**
 * Pairs `socket` with the engine behind `sslobj`, or answers undefined (the stream then uses the
 * BIOs): only a native engine can be fused, and only before any byte has moved through its BIOs.
 */
export function openFusedPath(
  socket: FusedSocket,
  sslobj: SSLObject<unknown>,
): FusedPath | undefined {
  const engine = engineOf(sslobj);
  if (!(engine instanceof NativeEngine) || engine.fused) return undefined;
  const { incoming, outgoing } = sslobj;
  if (incoming.written > 0 || incoming.eofWritten || outgoing.pending > 0) return undefined;
  const path = new FusedPath(socket);
  try {
    nativeBinding().socket.fuse(socket.handle, engine.handle);
  } catch {
    // The addon refuses (the socket closing meanwhile, the engine destroyed): the BIOs serve.
    return undefined;
  }
  engine.fuseTo(path);
  return path;
}
