/**
 * Where a ticket key ring is kept and rotated (docs/architecture.md, Session tickets). A store is
 * asked from time to time, never on a handshake: `sync` rotates the ring when its newest key is
 * due (one caller wins, atomically, wherever the store is shared) and answers the ring as it is.
 * The in-process store needs nothing set up; the Redis store (redis-ticket-key-store.ts) shares
 * one ring between processes and machines.
 */
import { newTicketKey } from './ticket-keys.js';

/** When a ring rotates and how many keys it keeps. */
export interface RotationPolicy {
  /** A new key once the newest is this old (ms); 0: never rotate (nginx's fixed keys). */
  readonly rotateEveryMs: number;
  /** Keys kept, the newest included: the older ones still decrypt. */
  readonly keep: number;
}

/** A ring as a store answers it. */
export interface StoredRing {
  /** 48-byte keys, newest first. */
  readonly keys: readonly Buffer[];
  /** When the newest key was made (ms since the epoch, the store's clock). */
  readonly rotatedAt: number;
  /** Why some stored keys were left out (never their bytes): a log line each. */
  readonly ignored: readonly string[];
}

/** A ticket key store: in-process, Redis, or one of yours. */
export interface TicketKeyStore {
  /**
   * Rotates the ring if it is empty or its newest key is due under `policy`, then answers it.
   * Rejects when the store cannot be reached: the caller keeps the keys it has.
   */
  sync(policy: RotationPolicy): Promise<StoredRing>;
  /** Calls `listener` when another process may have rotated the ring; answers an unsubscribe. */
  watch?(listener: () => void): () => void;
  /** Lets go of connections and timers (idempotent). */
  close(): Promise<void>;
}

/** The ring `policy` makes of `ring` at `now`: unchanged, or a new key in front. */
export function rotatedRing(
  ring: { keys: readonly Buffer[]; rotatedAt: number } | undefined,
  policy: RotationPolicy,
  now: number,
): { keys: readonly Buffer[]; rotatedAt: number } {
  const due =
    ring === undefined ||
    ring.keys.length === 0 ||
    (policy.rotateEveryMs > 0 && now - ring.rotatedAt >= policy.rotateEveryMs);
  if (!due) return ring;
  const keys = [newTicketKey(), ...(ring?.keys ?? [])].slice(0, Math.max(1, policy.keep));
  return { keys: Object.freeze(keys), rotatedAt: now };
}

/** The default store: one ring in this process, rotated by whoever syncs first when it is due. */
export class MemoryTicketKeyStore implements TicketKeyStore {
  #ring: { keys: readonly Buffer[]; rotatedAt: number } | undefined;

  async sync(policy: RotationPolicy): Promise<StoredRing> {
    this.#ring = rotatedRing(this.#ring, policy, Date.now());
    return { ...this.#ring, ignored: [] };
  }

  async close(): Promise<void> {}
}
