/**
 * The BIO path (see ciphertext-path.ts): Python's MemoryBIO model over any transport. The
 * transport's chunks go into the SSLObject's incoming BIO without a copy (a transport's chunks
 * belong to their consumer), and what the engine wrote into the outgoing BIO goes to the
 * transport in one write per flush.
 */
import type { Subscription } from 'rxjs';
import type { MemoryBIO } from '../sansio/memory-bio.js';
import type { SSLObject } from '../sansio/ssl-object.js';
import type { Transport } from '../transport.js';
import type { CiphertextPath, CiphertextSink } from './ciphertext-path.js';

/** Ciphertext through the SSLObject's two MemoryBIOs. */
export class BioPath implements CiphertextPath {
  readonly #incoming: MemoryBIO;
  readonly #outgoing: MemoryBIO;
  readonly #transport: Transport;
  #sink: CiphertextSink | undefined;
  #subscription: Subscription | undefined;
  #writableHeard: Subscription | undefined;
  #closedHeard: Subscription | undefined;

  constructor(sslobj: SSLObject<unknown>, transport: Transport) {
    this.#incoming = sslobj.incoming;
    this.#outgoing = sslobj.outgoing;
    this.#transport = transport;
  }

  get received(): number {
    return this.#incoming.written;
  }

  get ended(): boolean {
    return this.#incoming.eofWritten;
  }

  get unread(): number {
    return this.#incoming.pending;
  }

  get unsent(): number {
    return this.#outgoing.pending;
  }

  open(sink: CiphertextSink): void {
    this.#sink = sink;
    this.#writableHeard = this.#transport.writable$.subscribe(() => sink.drained());
    this.#subscription = this.#transport.data$.subscribe({
      next: (bytes) => {
        this.#incoming.writeOwned(
          Buffer.isBuffer(bytes)
            ? bytes
            : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
        );
        sink.arrived(bytes.length);
      },
      complete: () => {
        if (!this.#incoming.eofWritten) this.#incoming.writeEof();
        sink.ended();
      },
      error: (error: unknown) => sink.failed(error),
    });
    this.#closedHeard = this.#transport.closed$.subscribe(() => sink.closed());
  }

  flush(): boolean {
    const outgoing = this.#outgoing;
    if (outgoing.pending === 0) return true;
    const bytes = outgoing.read();
    this.#sink?.sent(bytes.length);
    return this.#transport.write(bytes);
  }

  release(): Buffer {
    return this.#incoming.read();
  }

  close(): void {
    this.#writableHeard?.unsubscribe();
    this.#subscription?.unsubscribe();
    this.#closedHeard?.unsubscribe();
    this.#writableHeard = undefined;
    this.#subscription = undefined;
    this.#closedHeard = undefined;
  }
}
