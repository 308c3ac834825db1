/**
 * The Duplex a node-engine TLSSocket runs over. Its readable half is fed by the engine from the
 * incoming MemoryBIO; its writable half hands Node's ciphertext to the engine for the outgoing
 * BIO. It buffers nothing of its own: the engine decides when bytes move.
 */
import { Duplex } from 'node:stream';

/** What the engine does when Node reads, writes or finishes. */
export interface BioDuplexHooks {
  /** Node wants ciphertext (it started or resumed reading). */
  onRead(): void;
  /** Node produced ciphertext; the buffer is a fresh copy the hook may keep. */
  onWrite(chunk: Buffer): void;
  /** Node finished its TLS shutdown: our close_notify has been written. */
  onFinal(): void;
}

/** A Duplex whose halves are the engine's two BIOs. */
export class BioDuplex extends Duplex {
  readonly #hooks: BioDuplexHooks;

  constructor(hooks: BioDuplexHooks) {
    // allowHalfOpen: a peer's close_notify must not make Node answer and destroy on its own
    // (docs/architecture.md, node:tls over a Duplex, pitfall 7); the engine decides when to send
    // ours.
    super({ allowHalfOpen: true });
    this.#hooks = hooks;
    this.on('resume', () => this.#hooks.onRead());
  }

  override _read(): void {
    this.#hooks.onRead();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.#hooks.onWrite(chunk);
    callback();
  }

  override _writev(chunks: { chunk: Buffer }[], callback: () => void): void {
    for (const { chunk } of chunks) this.#hooks.onWrite(chunk);
    callback();
  }

  override _final(callback: () => void): void {
    // The outgoing BIO stays open: after TLS it may carry plaintext again (STARTTLS downgrade).
    this.#hooks.onFinal();
    callback();
  }
}
