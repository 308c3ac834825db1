/**
 * PEM armour for certificates: Python's `ssl.DER_cert_to_PEM_cert` and `ssl.PEM_cert_to_DER_cert`
 * to the byte and the message, and a chain-file splitter that reads blocks the way OpenSSL's PEM
 * reader finds them.
 */
import { typeError, ValueError } from '../errors/errors.js';

/** Python's `ssl.PEM_HEADER` and `ssl.PEM_FOOTER`: the lines around a PEM certificate. */
export const PEM_HEADER = '-----BEGIN CERTIFICATE-----';
export const PEM_FOOTER = '-----END CERTIFICATE-----';

/** Python's DER_cert_to_PEM_cert wraps base64 at this column. */
const PEM_LINE_LENGTH = 64;
/** A DER certificate starts with a SEQUENCE. */
const DER_SEQUENCE = 0x30;

/** Characters Python's `str.strip()` removes (`str.isspace()`), which are more than JS's `trim()`. */
const PYTHON_WHITESPACE = new Set(
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000',
);

function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.has(text[start]!)) start++;
  while (end > start && PYTHON_WHITESPACE.has(text[end - 1]!)) end--;
  return text.slice(start, end);
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * Python's `ssl.DER_cert_to_PEM_cert`: base64 in 64-column lines between {@link PEM_HEADER} and
 * {@link PEM_FOOTER}, ending with a newline. The bytes are not parsed.
 *
 * @example
 * ```ts
 * const pem = derCertToPemCert(readFileSync('cert.der'));
 * ```
 */
export function derCertToPemCert(derCertBytes: Uint8Array): string {
  if (!isBytes(derCertBytes))
    throw typeError('der_cert_bytes', 'a bytes-like object', derCertBytes);
  const base64 = Buffer.from(
    derCertBytes.buffer,
    derCertBytes.byteOffset,
    derCertBytes.byteLength,
  ).toString('base64');
  const lines = [PEM_HEADER];
  for (let i = 0; i < base64.length; i += PEM_LINE_LENGTH) {
    lines.push(base64.slice(i, i + PEM_LINE_LENGTH));
  }
  lines.push(`${PEM_FOOTER}\n`);
  return lines.join('\n');
}

/** Python's `str.encode('ascii')`, with its UnicodeEncodeError message (a ValueError). */
function encodeAscii(text: string): string {
  const points = Array.from(text);
  const bad = points.findIndex((c) => c.codePointAt(0)! > 0x7f);
  if (bad === -1) return text;
  let end = bad + 1;
  while (end < points.length && points[end]!.codePointAt(0)! > 0x7f) end++;
  const pythonEscape = (c: string) => {
    const code = c.codePointAt(0)!;
    const [prefix, width] = code <= 0xff ? ['x', 2] : code <= 0xffff ? ['u', 4] : ['U', 8];
    return `\\${prefix}${code.toString(16).padStart(width, '0')}`;
  };
  throw new ValueError(
    end === bad + 1
      ? `'ascii' codec can't encode character '${pythonEscape(points[bad]!)}' in position ${bad}: ordinal not in range(128)`
      : `'ascii' codec can't encode characters in position ${bad}-${end - 1}: ordinal not in range(128)`,
  );
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64_ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const BASE64_PAD = 0x3d;

/**
 * Python's `base64.decodebytes` (binascii.a2b_base64, non-strict): characters outside the
 * alphabet are skipped, a complete pad ends the data, and a dangling quantum is an error
 * (binascii.Error, a ValueError) worded as Python's.
 */
function pythonBase64Decode(ascii: string): Buffer {
  const out: number[] = [];
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  for (let i = 0; i < ascii.length; i++) {
    const ch = ascii.charCodeAt(i);
    if (ch === BASE64_PAD) {
      // Python counts pads only once two characters of the quantum are in.
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Buffer.from(out);
      continue;
    }
    const value = BASE64_VALUE.get(ch);
    if (value === undefined) continue;
    pads = 0;
    if (quadPos === 0) {
      leftChar = value;
    } else if (quadPos === 1) {
      out.push(((leftChar << 2) | (value >> 4)) & 0xff);
      leftChar = value & 0x0f;
    } else if (quadPos === 2) {
      out.push(((leftChar << 4) | (value >> 2)) & 0xff);
      leftChar = value & 0x03;
    } else {
      out.push(((leftChar << 6) | value) & 0xff);
    }
    quadPos = (quadPos + 1) % 4;
  }
  if (quadPos === 1) {
    const characters = Math.floor(out.length / 3) * 4 + 1;
    throw new ValueError(
      `Invalid base64-encoded string: number of data characters (${characters}) cannot be 1 more than a multiple of 4`,
    );
  }
  if (quadPos !== 0) throw new ValueError('Incorrect padding');
  return Buffer.from(out);
}

/**
 * Python's `ssl.PEM_cert_to_DER_cert`: the text must start with {@link PEM_HEADER} and end (after
 * whitespace) with {@link PEM_FOOTER}; what lies between is decoded as leniently as Python's
 * `base64.decodebytes`. Throws ValueError with Python's messages.
 *
 * @example
 * ```ts
 * const der = pemCertToDerCert(readFileSync('cert.pem', 'ascii'));
 * ```
 */
export function pemCertToDerCert(pemCertString: string): Buffer {
  if (typeof pemCertString !== 'string') throw typeError('pem_cert_string', 'str', pemCertString);
  if (!pemCertString.startsWith(PEM_HEADER)) {
    throw new ValueError(`Invalid PEM encoding; must start with ${PEM_HEADER}`);
  }
  const stripped = pythonStrip(pemCertString);
  if (!stripped.endsWith(PEM_FOOTER)) {
    throw new ValueError(`Invalid PEM encoding; must end with ${PEM_FOOTER}`);
  }
  const body = stripped.slice(PEM_HEADER.length, stripped.length - PEM_FOOTER.length);
  return pythonBase64Decode(encodeAscii(body));
}

/** Block labels OpenSSL's PEM_read_bio_X509 accepts as a certificate. */
const CERTIFICATE_BLOCK = /^-----BEGIN (X509 )?CERTIFICATE-----[ \t\r]*$/;
const STRICT_BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The DER of every certificate block in `text`, in order, as OpenSSL's PEM reader finds them:
 * a block starts on a line of its own, other blocks (keys) and text around blocks are skipped.
 * A block whose base64 is broken or that never ends throws ValueError. `limit` stops early.
 */
export function pemBlocksToDer(text: string, limit = Number.POSITIVE_INFINITY): Buffer[] {
  const lines = text.split('\n');
  const found: Buffer[] = [];
  for (let i = 0; i < lines.length && found.length < limit; i++) {
    const begin = CERTIFICATE_BLOCK.exec(lines[i]!);
    if (begin === null) continue;
    const footer = `-----END ${begin[1] ?? ''}CERTIFICATE-----`;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j]!.trimEnd() !== footer; j++) {
      body.push(lines[j]!.trim());
    }
    if (j === lines.length)
      throw new ValueError(`PEM certificate block at line ${i + 1} has no ${footer}`);
    const base64 = body.join('');
    if (!STRICT_BASE64_LINE.test(base64) || base64.length % 4 !== 0) {
      throw new ValueError(`PEM certificate block at line ${i + 1} is not valid base64`);
    }
    found.push(Buffer.from(base64, 'base64'));
    i = j;
  }
  return found;
}

/**
 * Splits a certificate file into DER certificates: every certificate block of a PEM chain (text
 * around blocks and other blocks such as keys ignored), or the input itself when it is one DER
 * certificate. PEM may come as a string or as bytes. An input without certificates gives `[]`.
 *
 * @example
 * ```ts
 * const [leaf, ...intermediates] = parseCertificates(readFileSync('chain.pem'));
 * ```
 */
export function parseCertificates(pemOrDer: string | Uint8Array): Buffer[] {
  if (typeof pemOrDer === 'string') return pemBlocksToDer(pemOrDer);
  if (!isBytes(pemOrDer)) throw typeError('pemOrDer', 'a string or bytes', pemOrDer);
  if (pemOrDer[0] === DER_SEQUENCE) return [Buffer.from(pemOrDer)];
  return pemBlocksToDer(Buffer.from(pemOrDer).toString('latin1'));
}

/** Whether bytes hold DER rather than PEM text. */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes[0] === DER_SEQUENCE;
}
