/**
 * Reads the parts of a TLS ClientHello rxtls needs before OpenSSL sees it: the cipher suites it
 * offers and the server name it asks for (RFC 8446 section 4.1.2, RFC 6066 section 3). Only a
 * ClientHello that fits in its first record is read; anything else is left to OpenSSL.
 */

/** What a ClientHello says. */
export interface ClientHelloInfo {
  /** Offered cipher suites, 16-bit IANA numbers, in the client's order. */
  readonly suites: number[];
  /** The SNI host name, or null when the client sent none. */
  readonly serverName: string | null;
}

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;

/** A bounds-checked cursor: every read past the end throws, and the caller gives up. */
class Cursor {
  #offset: number;
  constructor(
    readonly bytes: Buffer,
    offset: number,
    readonly end: number,
  ) {
    this.#offset = offset;
  }
  get offset(): number {
    return this.#offset;
  }
  take(n: number): Buffer {
    if (this.#offset + n > this.end) throw new RangeError('truncated ClientHello');
    const out = this.bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0] as number;
  }
  u16(): number {
    return this.take(2).readUInt16BE(0);
  }
  u24(): number {
    const b = this.take(3);
    return ((b[0] as number) << 16) | b.readUInt16BE(1);
  }
}

/** Total length of the first record in `bytes` (header included), or undefined if incomplete. */
export function firstRecordLength(bytes: Buffer): number | undefined {
  if (bytes.length < 5) return undefined;
  const length = 5 + bytes.readUInt16BE(3);
  return bytes.length >= length ? length : undefined;
}

/**
 * Parses a ClientHello from its first record; undefined when `record` is not a handshake record
 * holding a whole ClientHello.
 */
export function parseClientHello(record: Buffer): ClientHelloInfo | undefined {
  try {
    if (record[0] !== RECORD_HANDSHAKE) return undefined;
    const recordEnd = 5 + record.readUInt16BE(3);
    const outer = new Cursor(record, 5, Math.min(recordEnd, record.length));
    if (outer.u8() !== HANDSHAKE_CLIENT_HELLO) return undefined;
    const bodyLength = outer.u24();
    const hello = new Cursor(record, outer.offset, outer.offset + bodyLength);
    if (hello.end > outer.end) return undefined; // continues in a later record
    hello.take(2 + 32); // legacy_version, random
    hello.take(hello.u8()); // legacy_session_id
    const suiteBytes = hello.take(hello.u16());
    const suites: number[] = [];
    for (let i = 0; i + 1 < suiteBytes.length; i += 2) suites.push(suiteBytes.readUInt16BE(i));
    hello.take(hello.u8()); // legacy_compression_methods
    let serverName: string | null = null;
    if (hello.offset < hello.end) {
      const extensionsEnd = hello.u16() + hello.offset;
      while (hello.offset + 4 <= extensionsEnd) {
        const type = hello.u16();
        const data = hello.take(hello.u16());
        if (type !== EXTENSION_SERVER_NAME) continue;
        const names = new Cursor(data, 0, data.length);
        const listEnd = names.u16() + 2;
        while (names.offset < listEnd) {
          const nameType = names.u8();
          const name = names.take(names.u16());
          if (nameType === NAME_TYPE_HOST) serverName = name.toString('latin1');
        }
      }
    }
    return { suites, serverName };
  } catch {
    return undefined;
  }
}
