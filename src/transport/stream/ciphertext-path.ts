/**
 * The ciphertext path: how a secure stream's ciphertext travels between its transport and its
 * engine. The stream drives one path and never asks which it has (docs/architecture.md, "The
 * ciphertext path"):
 *
 * - the BIO path (bio-path.ts), for every transport: the transport's chunks go into the
 *   SSLObject's incoming MemoryBIO, and what the engine writes into the outgoing one goes to the
 *   transport;
 * - the fused path (engines/native/fused-path.ts), for the addon's TCP socket under the native
 *   engine: the socket feeds OpenSSL in C and OpenSSL writes to the socket; JavaScript sees counts.
 *
 * A transport that can carry ciphertext itself offers a path under {@link OPEN_CIPHERTEXT_PATH};
 * {@link ciphertextPathFor} asks it once, when the stream is made, and takes the BIO path when it
 * declines.
 */
import type { SSLObject } from '../sansio/ssl-object.js';
import type { Transport } from '../transport.js';
import { BioPath } from './bio-path.js';

/** What a path tells its stream. */
export interface CiphertextSink {
  /** `count` bytes of ciphertext reached the engine. */
  arrived(count: number): void;
  /** `count` bytes of the engine's ciphertext left for the transport. */
  sent(count: number): void;
  /** The transport's end (its EOF) reached the engine. */
  ended(): void;
  /** The transport failed. */
  failed(error: unknown): void;
  /** The transport takes writes again (its writable$). */
  drained(): void;
  /** The transport has closed both ways (its closed$). */
  closed(): void;
}

/** One stream's way of moving ciphertext; see the file header. */
export interface CiphertextPath {
  /** Every ciphertext byte that has reached the engine. */
  readonly received: number;
  /** Whether the transport's end has reached the engine. */
  readonly ended: boolean;
  /** Ciphertext the engine has received and not consumed yet. */
  readonly unread: number;
  /** Ciphertext the engine wrote that the path has not handed to the transport yet. */
  readonly unsent: number;
  /** Starts reading the transport; from now on `sink` hears what happens. */
  open(sink: CiphertextSink): void;
  /**
   * Hands what the engine wrote to the transport. False when the transport asks the writer to
   * stop until its `writable$` emits.
   */
  flush(): boolean;
  /**
   * Ends the path for good (unwrap): the transport is plain bytes again. Returns the ciphertext
   * the engine had received and not read: what the peer sent after its close_notify.
   */
  release(): Buffer;
  /** Stops hearing the transport. */
  close(): void;
}

/**
 * The key under which a transport offers a path of its own for `sslobj`'s ciphertext, or
 * undefined to let the stream use the BIOs.
 */
export const OPEN_CIPHERTEXT_PATH: unique symbol = Symbol('rxtls.openCiphertextPath');

/** A transport that can carry an engine's ciphertext itself. */
export interface CiphertextCarrier {
  [OPEN_CIPHERTEXT_PATH](sslobj: SSLObject<unknown>): CiphertextPath | undefined;
}

/** The path a new stream of `sslobj` over `transport` uses: the transport's own, else the BIOs. */
export function ciphertextPathFor(
  sslobj: SSLObject<unknown>,
  transport: Transport,
): CiphertextPath {
  const carrier = transport as Transport & Partial<CiphertextCarrier>;
  return carrier[OPEN_CIPHERTEXT_PATH]?.(sslobj) ?? new BioPath(sslobj, transport);
}
