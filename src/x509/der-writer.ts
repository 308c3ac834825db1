/**
 * The few DER encodings that @peculiar/x509 cannot produce for us: a GeneralName of any kind (its
 * own GeneralName knows only a fixed set of otherName OIDs) and object identifiers. Only
 * definite-length, single-byte-tag encodings are needed, so this stays tiny.
 */
import { ValueError } from '../errors/errors.js';

/** Largest length that fits the short form of a DER length octet. */
const SHORT_FORM_MAX = 0x7f;
/** Bits of an OID arc carried by each base-128 octet. */
const BASE128_BITS = 7n;
/** Marks every octet but the last of a base-128 arc. */
const CONTINUATION_BIT = 0x80;
/** The first two arcs share one value: `40 * first + second`. */
const FIRST_ARC_FACTOR = 40n;
/** A dotted OID: a first arc of 0, 1 or 2 and at least one more arc. */
const OID_PATTERN = /^[0-2](\.(0|[1-9]\d*))+$/;

/** Encodes a DER length: short form below 128, long form (0x80 | count, big-endian) above. */
export function derLength(length: number): Uint8Array {
  if (length <= SHORT_FORM_MAX) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Uint8Array.of(CONTINUATION_BIT | octets.length, ...octets);
}

/** Encodes one tag-length-value triple. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  const length = derLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

/** Concatenates encodings. */
export function derConcat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Whether `oid` is a well-formed dotted object identifier (`1.3.6.1.4.1.311.20.2.3`). */
export function isObjectIdentifier(oid: string): boolean {
  if (!OID_PATTERN.test(oid)) return false;
  const [first, second] = oid.split('.').map(BigInt) as [bigint, bigint];
  return first === 2n || second < FIRST_ARC_FACTOR;
}

/** The content octets of an OBJECT IDENTIFIER (without tag and length); ValueError if malformed. */
export function derOidContent(oid: string): Uint8Array {
  if (!isObjectIdentifier(oid)) {
    throw new ValueError(`${JSON.stringify(oid)} is not a dotted object identifier`);
  }
  const arcs = oid.split('.').map(BigInt);
  const values = [arcs[0]! * FIRST_ARC_FACTOR + arcs[1]!, ...arcs.slice(2)];
  const octets: number[] = [];
  for (const value of values) {
    const arc = [Number(value & 0x7fn)];
    for (let rest = value >> BASE128_BITS; rest > 0n; rest >>= BASE128_BITS) {
      arc.unshift(Number(rest & 0x7fn) | CONTINUATION_BIT);
    }
    octets.push(...arc);
  }
  return Uint8Array.from(octets);
}
