/**
 * Python 3.11's `ssl._inet_paton`: an IP address in text to its packed bytes, through glibc's
 * `inet_aton` (IPv4, with its leniency) and `inet_pton(AF_INET6)`, exactly as CPython calls them
 * on Linux. `matchHostname` uses it both to decide whether the hostname is an IP address and to
 * read `IP Address` subjectAltNames, where its errors reach the caller.
 */
import { ValueError } from '../errors/errors.js';
import { pyRepr } from './py-str.js';

const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
const BYTE_MAX = 0xff;
const WORD_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;
/** The largest value of the last part of `a`, `a.b`, `a.b.c`, `a.b.c.d` (BSD's classful forms). */
const LAST_PART_MAX = [UINT32_MAX, 0xffffff, WORD_MAX, BYTE_MAX] as const;
const OCTAL = 8;
const DECIMAL = 10;
const HEX = 16;
const MAX_HEX_DIGITS_PER_GROUP = 4;
/** What C's `isspace` accepts in the C locale: glibc's `inet_aton` ignores whatever follows one. */
const C_SPACE = ' \t\n\v\f\r';

function digitValue(char: string | undefined, base: number): number {
  if (char === undefined) return -1;
  const value = Number.parseInt(char, HEX);
  return Number.isNaN(value) || value >= base ? -1 : value;
}

function isAsciiDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/**
 * glibc 2.36's `inet_aton`: parts in C notation (`0x` hex, `0` octal, else decimal) read by
 * `strtoul`, one to four of them, anything after an ASCII space ignored. Null when it refuses.
 */
export function inetAton(text: string): Uint8Array | null {
  const parts: number[] = [];
  let i = 0;
  let value = 0;
  for (;;) {
    if (!isAsciiDigit(text[i])) return null;
    let base = DECIMAL;
    if (text[i] === '0') {
      // strtoul takes `0x` as a prefix only when a hex digit follows it.
      const x = text[i + 1];
      if ((x === 'x' || x === 'X') && digitValue(text[i + 2], HEX) >= 0) {
        base = HEX;
        i += 2;
      } else {
        base = OCTAL;
      }
    }
    value = 0;
    for (let digit = digitValue(text[i], base); digit >= 0; digit = digitValue(text[i], base)) {
      value = value * base + digit;
      if (value > UINT32_MAX) return null;
      i++;
    }
    if (text[i] !== '.') break;
    if (parts.length > 2 || value > BYTE_MAX) return null;
    parts.push(value);
    i++;
  }
  if (i < text.length && !C_SPACE.includes(text[i]!)) return null;
  if (value > LAST_PART_MAX[parts.length]!) return null;
  const bytes = new Uint8Array(IPV4_BYTES);
  bytes.set(parts);
  for (let at = IPV4_BYTES - 1; at >= parts.length; at--) {
    bytes[at] = value % (BYTE_MAX + 1);
    value = Math.floor(value / (BYTE_MAX + 1));
  }
  return bytes;
}

/** glibc's `inet_pton4`: strict dotted quad, no leading zeros; writes into `out` at `offset`. */
function inetPton4(text: string, out: Uint8Array, offset: number): boolean {
  const octets = text.split('.');
  if (octets.length !== IPV4_BYTES) return false;
  for (const [index, octet] of octets.entries()) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(octet) || Number(octet) > BYTE_MAX) return false;
    out[offset + index] = Number(octet);
  }
  return true;
}

/** glibc 2.36's `inet_pton(AF_INET6)`, line for line. Null when it refuses. */
export function inetPton6(text: string): Uint8Array | null {
  const out = new Uint8Array(IPV6_BYTES);
  let i = 0;
  if (text.length === 0) return null;
  if (text[0] === ':') {
    i = 1;
    if (text[1] !== ':') return null;
  }
  let tp = 0;
  let colonAt = -1;
  let token = i;
  let digits = 0;
  let value = 0;
  while (i < text.length) {
    const char = text[i++]!;
    const digit = digitValue(char, HEX);
    if (digit >= 0) {
      if (digits === MAX_HEX_DIGITS_PER_GROUP) return null;
      value = value * HEX + digit;
      digits++;
      continue;
    }
    if (char === ':') {
      token = i;
      if (digits === 0) {
        if (colonAt >= 0) return null;
        colonAt = tp;
        continue;
      }
      if (i === text.length || tp + 2 > IPV6_BYTES) return null;
      out[tp++] = value >> OCTAL;
      out[tp++] = value & BYTE_MAX;
      digits = 0;
      value = 0;
      continue;
    }
    if (char === '.' && tp + IPV4_BYTES <= IPV6_BYTES && inetPton4(text.slice(token), out, tp)) {
      tp += IPV4_BYTES;
      digits = 0;
      break;
    }
    return null;
  }
  if (digits > 0) {
    if (tp + 2 > IPV6_BYTES) return null;
    out[tp++] = value >> OCTAL;
    out[tp++] = value & BYTE_MAX;
  }
  if (colonAt >= 0) {
    if (tp === IPV6_BYTES) return null;
    const tail = out.slice(colonAt, tp);
    out.fill(0, colonAt);
    out.set(tail, IPV6_BYTES - tail.length);
    tp = IPV6_BYTES;
  }
  return tp === IPV6_BYTES ? out : null;
}

/**
 * CPython's `"s"` argument conversion, which `socket.inet_aton` applies first: UTF-8 encoding
 * (lone surrogates refused) and no NUL. Both are ValueErrors (UnicodeEncodeError is one).
 */
function checkCString(text: string): void {
  let position = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      throw new ValueError(
        `'utf-8' codec can't encode character ${pyRepr(char)} in position ${position}: surrogates not allowed`,
      );
    }
    position++;
  }
  if (text.includes('\0')) throw new ValueError('embedded null character');
}

/**
 * Python's `ssl._inet_paton`: the packed address (4 or 16 bytes), or ValueError with Python's
 * message. IPv4 must be in the canonical form `inet_ntoa` prints: `127.1`, `127.0.0.01` and
 * `127.0.0.1 x` are refused as "not a quad-dotted IPv4 address".
 */
export function inetPaton(text: string): Uint8Array {
  checkCString(text);
  const v4 = inetAton(text);
  if (v4 !== null) {
    if (v4.join('.') === text) return v4;
    throw new ValueError(`${pyRepr(text)} is not a quad-dotted IPv4 address.`);
  }
  const v6 = inetPton6(text);
  if (v6 === null) throw new ValueError(`${pyRepr(text)} is neither an IPv4 nor an IP6 address.`);
  return v6;
}
