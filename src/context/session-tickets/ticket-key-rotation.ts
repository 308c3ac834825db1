/**
 * Keeps contexts' ticket keys in step with a store (docs/architecture.md, Session tickets): asks
 * the store at subscription, then every `syncEveryMs` and whenever the store says another process
 * rotated; applies a ring that changed to every target. Only this talks to the store: handshakes
 * use the keys the contexts already hold, so a store that is slow or down never fails one. While
 * the store cannot be reached every target keeps its keys; if it never could, the targets share
 * an in-process ring meanwhile.
 *
 * Defaults (README, Session resumption everywhere): a new key every 12 hours and 4 kept, as
 * Caddy does: a ticket resumes for 36 to 48 hours, and a stolen key opens at most two days of
 * traffic.
 */
import { Observable } from 'rxjs';
import {
  MemoryTicketKeyStore,
  type RotationPolicy,
  type TicketKeyStore,
} from './ticket-key-store.js';
import { sameTicketKeys } from './ticket-keys.js';

export const DEFAULT_ROTATE_EVERY_MS = 12 * 60 * 60 * 1000;
export const DEFAULT_KEEP = 4;
/** How often the store is asked: the longest a process runs behind another's rotation. */
export const DEFAULT_SYNC_EVERY_MS = 30_000;
/** A store that has not answered in this long is treated as unreachable for this round. */
const SYNC_TIMEOUT_MS = 5_000;

/** What takes a ring: an SSLContext, or anything with its setTicketKeys. */
export interface TicketKeyTarget {
  setTicketKeys(keys: Buffer): void;
}

export interface TicketKeyRotationOptions {
  /** Default: an in-process store (MemoryTicketKeyStore). */
  store?: TicketKeyStore;
  /** Default 12 hours; 0 never rotates. */
  rotateEveryMs?: number;
  /** Keys kept, the newest included (default 4). */
  keep?: number;
  /** Default 30 s. */
  syncEveryMs?: number;
}

/** What a rotation reports. Never a key's bytes. */
export type TicketKeyEvent =
  /** A new ring went to the targets. `source`: the store, or the in-process fallback. */
  | {
      readonly type: 'applied';
      readonly keys: number;
      readonly rotatedAt: number;
      readonly source: 'store' | 'fallback';
    }
  /** The store could not be asked, or held something unusable: the targets keep their keys. */
  | { readonly type: 'warning'; readonly message: string };

/** The checked policy of `options`. */
function policyOf(options: TicketKeyRotationOptions): RotationPolicy & { syncEveryMs: number } {
  const rotateEveryMs = options.rotateEveryMs ?? DEFAULT_ROTATE_EVERY_MS;
  const keep = options.keep ?? DEFAULT_KEEP;
  const syncEveryMs = options.syncEveryMs ?? DEFAULT_SYNC_EVERY_MS;
  if (!Number.isInteger(rotateEveryMs) || rotateEveryMs < 0) {
    throw new RangeError(`rotateEveryMs must be a non-negative integer, got ${rotateEveryMs}`);
  }
  if (!Number.isInteger(keep) || keep < 1 || keep > 64) {
    throw new RangeError(`keep must be an integer from 1 to 64, got ${keep}`);
  }
  if (!Number.isInteger(syncEveryMs) || syncEveryMs < 1) {
    throw new RangeError(`syncEveryMs must be a positive integer, got ${syncEveryMs}`);
  }
  return { rotateEveryMs, keep, syncEveryMs };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A store error as a log line: the error's message only (a store's errors carry no keys). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Rotates ticket keys for `targets` while subscribed (unsubscribe stops it; the store is the
 * caller's to close). Emits each ring applied and each problem; never errors.
 *
 * @example
 * ```ts
 * const store = new RedisTicketKeyStore({ url: 'redis://10.0.0.5:6379' });
 * const rotation = rotateTicketKeys([context], { store }).subscribe((event) => console.log(event));
 * ```
 */
export function rotateTicketKeys(
  targets: TicketKeyTarget | readonly TicketKeyTarget[],
  options: TicketKeyRotationOptions = {},
): Observable<TicketKeyEvent> {
  const policy = policyOf(options);
  const list = Array.isArray(targets) ? [...targets] : [targets as TicketKeyTarget];
  return new Observable<TicketKeyEvent>((subscriber) => {
    const store: TicketKeyStore = options.store ?? new MemoryTicketKeyStore();
    let fallback: MemoryTicketKeyStore | undefined;
    let applied: readonly Buffer[] | undefined;
    let running = false;
    let again = false;
    let closed = false;

    const apply = (keys: readonly Buffer[], rotatedAt: number, source: 'store' | 'fallback') => {
      if (applied !== undefined && sameTicketKeys(applied, keys)) return;
      const joined = Buffer.concat(keys);
      for (const target of list) target.setTicketKeys(joined);
      applied = keys;
      subscriber.next({ type: 'applied', keys: keys.length, rotatedAt, source });
    };

    const syncOnce = async () => {
      try {
        const ring = await withTimeout(store.sync(policy), SYNC_TIMEOUT_MS);
        if (closed) return;
        for (const message of ring.ignored) subscriber.next({ type: 'warning', message });
        fallback = undefined;
        apply(ring.keys, ring.rotatedAt, 'store');
      } catch (error) {
        if (closed) return;
        subscriber.next({
          type: 'warning',
          message: `ticket key store unreachable, keeping the current keys: ${describe(error)}`,
        });
        // Never reached yet: the targets share an in-process ring until the store answers.
        if (applied === undefined || fallback !== undefined) {
          fallback ??= new MemoryTicketKeyStore();
          const ring = await fallback.sync(policy);
          if (!closed) apply(ring.keys, ring.rotatedAt, 'fallback');
        }
      }
    };

    const sync = () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      void (async () => {
        do {
          again = false;
          await syncOnce();
        } while (again && !closed);
        running = false;
      })();
    };

    const timer = setInterval(sync, policy.syncEveryMs);
    timer.unref();
    const unwatch = store.watch?.(sync);
    sync();
    return () => {
      closed = true;
      clearInterval(timer);
      unwatch?.();
    };
  });
}
