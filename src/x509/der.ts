/**
 * A small, bounds-checked DER reader: tag/length/value elements, and the few primitive values a
 * certificate needs (OIDs, INTEGER bytes, times, character strings) converted the way OpenSSL 3.0
 * prints them, because rxtls's decoded certificates must read exactly as Python's.
 *
 * Every read is checked against the end of its enclosing element, so truncated or lying input
 * ends in a {@link DerError} that names the element and the offset, never in a wrong answer.
 */
import { ValueError } from '../errors/errors.js';

/** Universal tags rxtls reads. */
export enum Tag {
  Boolean = 0x01,
  Integer = 0x02,
  BitString = 0x03,
  OctetString = 0x04,
  Null = 0x05,
  Oid = 0x06,
  Utf8String = 0x0c,
  NumericString = 0x12,
  PrintableString = 0x13,
  T61String = 0x14,
  Ia5String = 0x16,
  UtcTime = 0x17,
  GeneralizedTime = 0x18,
  VisibleString = 0x1a,
  UniversalString = 0x1c,
  BmpString = 0x1e,
  Sequence = 0x30,
  Set = 0x31,
}

/** The class bits of an identifier octet: context-specific tags are `[n]` in ASN.1. */
export const CONTEXT_CLASS = 0x80;
/** The constructed bit of an identifier octet. */
export const CONSTRUCTED = 0x20;
const HIGH_TAG_NUMBER = 0x1f;
const LONG_LENGTH = 0x80;
/** More than four length octets would describe an element larger than any input we accept. */
const MAX_LENGTH_OCTETS = 4;

/** Malformed DER: what was being read, what is wrong and where. */
export class DerError extends ValueError {
  override name = 'DerError';
  override readonly code: string = 'ERR_RXTLS_DER';
}

/** One element: its identifier, where it sits, and its content octets (a view, not a copy). */
export interface Tlv {
  /** Class bits (0, 0x40, 0x80 or 0xc0). */
  readonly tagClass: number;
  /** Whether the constructed bit is set. */
  readonly constructed: boolean;
  /** The tag number within its class. */
  readonly tagNumber: number;
  /** The first identifier octet as written (for low tag numbers: class | constructed | number). */
  readonly tag: number;
  /** Offset of the identifier octet in the reader's buffer. */
  readonly start: number;
  /** Offset just past the element. */
  readonly end: number;
  /** The content octets. */
  readonly value: Uint8Array;
}

/**
 * Reads consecutive elements from `bytes[offset, end)`. `what` names the enclosing structure in
 * error messages (`certificate.tbsCertificate.validity`).
 */
export class DerReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  readonly #what: string;
  #offset: number;

  constructor(bytes: Uint8Array, what: string, offset = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#offset = offset;
    this.#end = end;
    this.#what = what;
  }

  /** A reader over the content octets of `tlv`, for its children. */
  static within(tlv: Tlv, what: string): DerReader {
    return new DerReader(tlv.value, what);
  }

  /** Whether another element follows. */
  hasMore(): boolean {
    return this.#offset < this.#end;
  }

  /** The first identifier octet of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.hasMore() ? this.#bytes[this.#offset] : undefined;
  }

  /** Reads the next element, whatever its tag. */
  read(): Tlv {
    const bytes = this.#bytes;
    const start = this.#offset;
    let at = start;
    const octet = (purpose: string): number => {
      if (at >= this.#end) {
        throw new DerError(
          `truncated DER in ${this.#what}: ${purpose} at offset ${at} is past the end (${this.#end})`,
        );
      }
      return bytes[at++]!;
    };
    const tag = octet('the identifier octet');
    let tagNumber = tag & HIGH_TAG_NUMBER;
    if (tagNumber === HIGH_TAG_NUMBER) {
      tagNumber = 0;
      let next: number;
      do {
        next = octet('a tag number octet');
        tagNumber = tagNumber * 128 + (next & 0x7f);
        if (tagNumber > 0xffffff) throw new DerError(`tag number too large in ${this.#what}`);
      } while (next & 0x80);
    }
    let length = octet('the length octet');
    if (length === LONG_LENGTH) {
      throw new DerError(`indefinite length (BER) in ${this.#what} at offset ${start}`);
    }
    if (length > LONG_LENGTH) {
      const count = length & 0x7f;
      if (count > MAX_LENGTH_OCTETS) {
        throw new DerError(`length of ${count} octets in ${this.#what} at offset ${start}`);
      }
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + octet('a length octet');
    }
    if (length > this.#end - at) {
      throw new DerError(
        `truncated DER in ${this.#what}: element at offset ${start} claims ${length} bytes, ` +
          `${this.#end - at} remain`,
      );
    }
    this.#offset = at + length;
    return {
      tagClass: tag & 0xc0,
      constructed: (tag & CONSTRUCTED) !== 0,
      tagNumber,
      tag,
      start,
      end: at + length,
      value: bytes.subarray(at, at + length),
    };
  }

  /** Reads the next element and checks its first identifier octet. */
  expect(tag: number, what: string): Tlv {
    const tlv = this.read();
    if (tlv.tag !== tag) {
      throw new DerError(
        `${this.#what}.${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(tlv.tag)} at offset ${tlv.start}`,
      );
    }
    return tlv;
  }

  /** Reads the next element if its first identifier octet is `tag`. */
  optional(tag: number, what: string): Tlv | undefined {
    return this.peekTag() === tag ? this.expect(tag, what) : undefined;
  }

  /** Checks that nothing follows the last element read. */
  done(): void {
    if (this.hasMore()) {
      throw new DerError(`unexpected data in ${this.#what} at offset ${this.#offset}`);
    }
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * The dotted text of an OBJECT IDENTIFIER's content octets, as OBJ_obj2txt prints it (arcs of
 * any size). Rejects what OpenSSL's decoder rejects: empty content, a non-minimal arc (leading
 * 0x80) and an unterminated last arc.
 */
export function oidToDotted(content: Uint8Array): string {
  if (content.length === 0 || (content[content.length - 1]! & 0x80) !== 0) {
    throw new DerError('invalid OBJECT IDENTIFIER encoding');
  }
  const arcs: string[] = [];
  let arc = 0n;
  let first = true;
  for (let i = 0; i < content.length; i++) {
    const octet = content[i]!;
    if (octet === 0x80 && (i === 0 || (content[i - 1]! & 0x80) === 0)) {
      throw new DerError('invalid OBJECT IDENTIFIER encoding (non-minimal arc)');
    }
    arc = (arc << 7n) | BigInt(octet & 0x7f);
    if ((octet & 0x80) === 0) {
      if (first) {
        // The first octets hold 40 * X + Y, with X in 0..2 and Y unbounded when X is 2.
        const top = arc < 40n ? 0n : arc < 80n ? 1n : 2n;
        arcs.push(String(top), String(arc - top * 40n));
        first = false;
      } else {
        arcs.push(String(arc));
      }
      arc = 0n;
    }
  }
  return arcs.join('.');
}

/**
 * An INTEGER's content octets as OpenSSL's i2a_ASN1_INTEGER prints them: upper-case hex of the
 * magnitude, `-` before a negative one, `00` for zero. OpenSSL breaks the line every 35 octets
 * with a backslash; only the first line is returned, since that is what BIO_gets hands Python.
 */
export function integerToHex(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('INTEGER with no content octets');
  if (
    content.length > 1 &&
    ((content[0] === 0x00 && (content[1]! & 0x80) === 0) ||
      (content[0] === 0xff && (content[1]! & 0x80) !== 0))
  ) {
    throw new DerError('INTEGER with illegal padding');
  }
  const negative = (content[0]! & 0x80) !== 0;
  let magnitude: Uint8Array = content;
  if (negative) {
    // Two's complement: invert and add one.
    const out = Uint8Array.from(content, (b) => ~b & 0xff);
    for (let i = out.length - 1; i >= 0; i--) {
      out[i] = (out[i]! + 1) & 0xff;
      if (out[i] !== 0) break;
    }
    magnitude = out;
  }
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  magnitude = magnitude.subarray(start);
  const OCTETS_PER_LINE = 35;
  const first = magnitude.subarray(0, OCTETS_PER_LINE);
  const hex = Buffer.from(first).toString('hex').toUpperCase();
  const continued = magnitude.length > OCTETS_PER_LINE ? '\\\n' : '';
  return (negative ? '-' : '') + hex + continued;
}
