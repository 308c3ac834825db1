/**
 * Reads the few fields Python's SSLSession exposes from OpenSSL's DER encoding of a session
 * (`i2d_SSL_SESSION`, what Node's `getSession()` returns): its ID, time, timeout and ticket.
 *
 * SSL_SESSION_ASN1 ::= SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING,
 *   sessionID OCTET STRING, masterKey OCTET STRING, keyArg [0] OPTIONAL, time [1] INTEGER,
 *   timeout [2] INTEGER, ..., ticketLifetimeHint [9] INTEGER, ticket [10] OCTET STRING, ... }
 */
import type { EngineSession } from '../../sansio/engine.js';

interface Tlv {
  tag: number;
  value: Buffer;
  end: number;
}

function readTlv(der: Buffer, offset: number): Tlv | undefined {
  if (offset + 2 > der.length) return undefined;
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > der.length) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] as number);
    start += count;
  }
  const end = start + length;
  if (end > der.length) return undefined;
  return { tag, value: der.subarray(start, end), end };
}

function integerOf(value: Buffer): number {
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}

/** The session's public fields; zeros where the encoding is not what was expected. */
export function parseSessionDer(der: Buffer): EngineSession {
  const session = {
    id: Buffer.alloc(0),
    time: 0,
    timeout: 0,
    ticketLifetimeHint: 0,
    hasTicket: false,
  };
  const outer = readTlv(der, 0);
  if (outer?.tag !== 0x30) return session;
  const body = outer.value;
  let offset = 0;
  let index = 0;
  while (offset < body.length) {
    const field = readTlv(body, offset);
    if (!field) break;
    offset = field.end;
    if (index === 3 && field.tag === 0x04) session.id = Buffer.from(field.value);
    index += 1;
    // Context-specific explicit tags wrap an INTEGER or OCTET STRING.
    const inner = field.tag >= 0xa0 ? readTlv(field.value, 0) : undefined;
    if (!inner) continue;
    if (field.tag === 0xa1) session.time = integerOf(inner.value);
    if (field.tag === 0xa2) session.timeout = integerOf(inner.value);
    if (field.tag === 0xa9) session.ticketLifetimeHint = integerOf(inner.value);
    if (field.tag === 0xaa) session.hasTicket = inner.value.length > 0;
  }
  return session;
}
