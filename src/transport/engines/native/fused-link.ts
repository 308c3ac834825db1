/**
 * The fused path's shared counts. When a native socket carries a native engine's ciphertext
 * itself (native/socket.c), the bytes never reach JavaScript: the socket feeds the engine's read
 * BIO and the engine writes to the socket. What the secure stream still needs to know about them
 * (what a MemoryBIO would tell it) is kept here, by the socket's events and the engine's calls.
 */
export class FusedLink {
  /** Every ciphertext byte the socket fed the engine (MemoryBIO's `written`). */
  written = 0;
  /** The socket's EOF reached the engine (MemoryBIO's `eofWritten`). */
  eofWritten = false;
  /** Ciphertext the engine holds and has not consumed (MemoryBIO's `pending`). */
  pending = 0;
  /** Ciphertext the socket queues because the kernel did not take it yet. */
  queued = 0;
  #sent = 0;
  /** The stream's hook: ciphertext arrived (`count` bytes). */
  onCiphertext: (count: number) => void = () => undefined;
  readonly #unfuse: () => Buffer;

  constructor(unfuse: () => Buffer) {
    this.#unfuse = unfuse;
  }

  /** Counts ciphertext the engine sent through the socket. */
  noteSent(count: number): void {
    this.#sent += count;
  }

  /** Ciphertext sent since the last call (for the reactor's byte counts). */
  takeSent(): number {
    const sent = this.#sent;
    this.#sent = 0;
    return sent;
  }

  /**
   * Ends the fusion: the socket is a plain transport again. Returns the ciphertext the engine had
   * not read (what the peer sent after its close_notify, for a STARTTLS downgrade).
   */
  unfuse(): Buffer {
    return this.#unfuse();
  }
}
