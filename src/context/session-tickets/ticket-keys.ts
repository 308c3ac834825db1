/**
 * Session ticket keys in Node's format (`tls.Server.setTicketKeys`): 48 bytes each, a 16-byte
 * name, a 16-byte HMAC secret and a 16-byte AES key. A ring is several of them back to back,
 * newest first: the newest encrypts new tickets, the others still decrypt (docs/architecture.md,
 * Session tickets). Messages here describe lengths and counts only: a key's bytes never reach an
 * error or a log.
 */
import { randomBytes } from 'node:crypto';
import { typeError, ValueError } from '../../errors/errors.js';

/** One key: 16 bytes name, 16 bytes HMAC secret, 16 bytes AES key (Node's layout). */
export const TICKET_KEY_LENGTH = 48;
/** The most keys a ring holds: enough for any rotation schedule, small enough to scan. */
export const MAX_TICKET_KEYS = 64;

/** A fresh random key. */
export function newTicketKey(): Buffer {
  return randomBytes(TICKET_KEY_LENGTH);
}

/**
 * Splits `keys` (one or more 48-byte keys, newest first) into copies of each key. Throws
 * TypeError for a non-buffer and ValueError for a length that is not a whole number of keys.
 */
export function parseTicketKeys(keys: unknown, what = 'ticket keys'): readonly Buffer[] {
  if (!(keys instanceof Uint8Array)) throw typeError(what, 'a Buffer', keys);
  const length = keys.byteLength;
  if (length === 0 || length % TICKET_KEY_LENGTH !== 0) {
    throw new ValueError(
      `${what} must be ${TICKET_KEY_LENGTH} bytes per key (16 name, 16 HMAC secret, 16 AES key), got ${length} bytes`,
    );
  }
  const count = length / TICKET_KEY_LENGTH;
  if (count > MAX_TICKET_KEYS) {
    throw new ValueError(`${what}: at most ${MAX_TICKET_KEYS} keys, got ${count}`);
  }
  const all = Buffer.from(keys.buffer, keys.byteOffset, length);
  const ring: Buffer[] = [];
  for (let at = 0; at < length; at += TICKET_KEY_LENGTH) {
    ring.push(Buffer.from(all.subarray(at, at + TICKET_KEY_LENGTH)));
  }
  return Object.freeze(ring);
}

/** The ring as one buffer, newest first (a copy: the caller may keep or change it). */
export function joinTicketKeys(ring: readonly Buffer[]): Buffer {
  return Buffer.concat(ring);
}

/** Whether two rings hold the same keys in the same order. */
export function sameTicketKeys(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((key, i) => key.equals(b[i] as Buffer));
}

/** The longest session ID context OpenSSL takes (SSL_MAX_SID_CTX_LENGTH). */
export const MAX_SESSION_ID_CONTEXT = 32;

/**
 * The session ID context every server context starts with: the same in every process and on
 * every machine, unlike Node's default (a hash of the process arguments), so sessions resume
 * across a fleet however its servers were started.
 */
export const DEFAULT_SESSION_ID_CONTEXT: Buffer = Buffer.from('rxtls');

/** A session ID context from a string (UTF-8) or bytes: 1 to 32 bytes, else ValueError. */
export function parseSessionIdContext(value: unknown): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else throw typeError('sessionIdContext', 'a string or a Buffer', value);
  if (bytes.length === 0 || bytes.length > MAX_SESSION_ID_CONTEXT) {
    throw new ValueError(
      `sessionIdContext must be 1 to ${MAX_SESSION_ID_CONTEXT} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * A context's ticket settings, immutable: SSLContext keeps one and swaps it on a change, so an
 * EngineConfig made earlier keeps the keys it was made with.
 */
export class TicketSettings {
  private constructor(
    readonly ticketKeys: readonly Buffer[],
    readonly sessionIdContext: Buffer,
  ) {}

  /** One fresh random key and the default session ID context. */
  static initial(): TicketSettings {
    return new TicketSettings(Object.freeze([newTicketKey()]), DEFAULT_SESSION_ID_CONTEXT);
  }

  withKeys(keys: unknown): TicketSettings {
    return new TicketSettings(parseTicketKeys(keys), this.sessionIdContext);
  }

  withSessionIdContext(value: unknown): TicketSettings {
    return new TicketSettings(this.ticketKeys, parseSessionIdContext(value));
  }

  /** The fields of an EngineConfig these settings give. */
  engineFields(): { ticketKeys: readonly Buffer[]; sessionIdContext: Buffer } {
    return { ticketKeys: this.ticketKeys, sessionIdContext: this.sessionIdContext };
  }
}
