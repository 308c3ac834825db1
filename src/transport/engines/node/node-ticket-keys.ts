/**
 * A ticket key ring on a `tls.SecureContext` (docs/architecture.md, Session tickets). Node's public
 * API takes one key (`ticketKeys`), which encrypts and is the only one that decrypts; its
 * SecureContext also has a ticket key callback (`enableTicketKeyCallback`, answered through the
 * `onticketkeycallback` property) with the contract of OpenSSL's: it lets the newest key encrypt
 * and every key of the ring decrypt, a ticket of an older key asking for renewal (2), as the
 * native engine's C callback does. That hook is not documented; where it is missing, the newest
 * key alone is set and older tickets fall back to a full handshake.
 */
import { randomBytes } from 'node:crypto';
import type tls from 'node:tls';

/** The native half of a SecureContext, as far as the ticket key callback goes. */
interface TicketKeyHooks {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
}

const PART = 16;
/** What the callback answers for a ticket of an unknown key: a full handshake, no keys used. */
const UNKNOWN: unknown[] = [0, Buffer.alloc(PART), Buffer.alloc(PART)];

/**
 * Installs `ring` (48-byte keys, newest first) on `context`: every key decrypts when Node offers
 * the callback, else only the newest (set through tls.createSecureContext's `ticketKeys`, which
 * the caller has done). The callback never throws: it runs inside OpenSSL, called from C++.
 */
export function installTicketKeyRing(context: tls.SecureContext, ring: readonly Buffer[]): void {
  const hooks = (context as unknown as { context?: TicketKeyHooks }).context;
  if (ring.length < 2 || typeof hooks?.enableTicketKeyCallback !== 'function') return;
  hooks.enableTicketKeyCallback();
  hooks.onticketkeycallback = (name, _iv, encrypt) => {
    if (encrypt) {
      const key = ring[0] as Buffer;
      const parts = [key.subarray(PART, 2 * PART), key.subarray(2 * PART)];
      return [1, ...parts, key.subarray(0, PART), randomBytes(PART)];
    }
    const index = ring.findIndex((key) => key.subarray(0, PART).equals(name));
    if (index < 0) return UNKNOWN;
    const key = ring[index] as Buffer;
    return [index === 0 ? 1 : 2, key.subarray(PART, 2 * PART), key.subarray(2 * PART)];
  };
}
