/**
 * Python's `RAND_bytes`, `RAND_status` and `RAND_add`, on the CSPRNG of the OpenSSL inside Node.
 */
import { randomBytes } from 'node:crypto';
import { ValueError } from '../errors/errors.js';

/**
 * `n` cryptographically strong random bytes.
 *
 * @example
 * ```ts
 * const nonce = randBytes(16);
 * ```
 */
export function randBytes(n: number): Buffer {
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new TypeError(`'${typeof n}' object cannot be interpreted as an integer`);
  }
  if (n < 0) throw new ValueError('num must be positive');
  return randomBytes(n);
}

/** Whether the generator is seeded: always true, since OpenSSL 3 seeds itself from the OS. */
export function randStatus(): boolean {
  return true;
}

/**
 * Accepted for compatibility and otherwise a no-op: Node exposes no way to mix entropy into its
 * OpenSSL, and OpenSSL 3 reseeds itself from the operating system. The arguments are still checked
 * as Python checks them.
 */
export function randAdd(data: string | Uint8Array, entropy: number): void {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new TypeError(`a bytes-like object is required, not '${typeof data}'`);
  }
  if (typeof entropy !== 'number') {
    throw new TypeError(`must be real number, not ${typeof entropy}`);
  }
}
