/**
 * Python's `idna` codec (IDNA 2003: RFC 3490 ToASCII with RFC 3491 nameprep and RFC 3492
 * punycode), as `SSLContext._encode_hostname` applies it to every `server_hostname`: an ASCII
 * name passes unchanged but for its label lengths, each non-ASCII label is nameprepped and
 * punycoded. The errors are Python's, worded as Python 3.11 words a failed `str.encode('idna')`.
 *
 * Nameprep's tables are RFC 3454's, for Unicode 3.2: the prohibited characters (C.1.2 to C.9)
 * and the right-to-left ones (D.1) are listed here; the case mapping (B.2) and NFKC use Node's
 * Unicode data, which agrees with them on every character Unicode 3.2 had but U+0131 (kept, as
 * B.2 keeps it) and five CJK compatibility ideographs Unicode corrected since. Characters added
 * after Unicode 3.2 may come out otherwise than in Python (it only lowercases them), and the
 * left-to-right test (D.2) is approximated by Unicode's letters.
 */
import { UnicodeError } from '../errors/errors.js';
import { pyRepr } from './py-str.js';

/** IDNA's label separators (RFC 3490 section 3.1): full stop and its ideographic forms. */
const DOTS = /[.\u3002\uff0e\uff61]/u;
const ACE_PREFIX = 'xn--';
/** A DNS label holds at most 63 octets. */
const MAX_LABEL = 63;

/** RFC 3454 table B.1: mapped to nothing (the variation selectors FE00-FE0F among them). */
const MAPPED_TO_NOTHING = new Set([
  0xad,
  0x34f,
  0x1806,
  0x180b,
  0x180c,
  0x180d,
  0x200b,
  0x200c,
  0x200d,
  0x2060,
  0xfeff,
  ...Array.from({ length: 16 }, (_, i) => 0xfe00 + i),
]);
/** U+0131 has no case folding in table B.2 (Node's case mapping would make it `i`). */
const DOTLESS_I = '\u0131';

/** RFC 3454 tables C.1.2, C.2.2, C.3 to C.9: what nameprep prohibits. */
const PROHIBITED = new RegExp(
  '[' +
    '\\u00a0\\u1680\\u2000-\\u200b\\u2028\\u2029\\u202f\\u205f\\u3000' + // C.1.2
    '\\u0080-\\u009f\\u06dd\\u070f\\u180e\\u200c\\u200d\\u2060-\\u2063\\u206a-\\u206f' + // C.2.2
    '\\ufeff\\ufff9-\\ufffc\\u{1d173}-\\u{1d17a}' +
    '\\ue000-\\uf8ff\\u{f0000}-\\u{ffffd}\\u{100000}-\\u{10fffd}' + // C.3
    '\\ufdd0-\\ufdef\\ufffe\\uffff\\u{1fffe}\\u{1ffff}\\u{2fffe}\\u{2ffff}\\u{3fffe}\\u{3ffff}' + // C.4
    '\\u{4fffe}\\u{4ffff}\\u{5fffe}\\u{5ffff}\\u{6fffe}\\u{6ffff}\\u{7fffe}\\u{7ffff}' +
    '\\u{8fffe}\\u{8ffff}\\u{9fffe}\\u{9ffff}\\u{afffe}\\u{affff}\\u{bfffe}\\u{bffff}' +
    '\\u{cfffe}\\u{cffff}\\u{dfffe}\\u{dffff}\\u{efffe}\\u{effff}\\u{ffffe}\\u{fffff}' +
    '\\u{10fffe}\\u{10ffff}' +
    '\\ud800-\\udfff' + // C.5
    '\\ufff9-\\ufffd' + // C.6
    '\\u2ff0-\\u2ffb' + // C.7
    '\\u0340\\u0341\\u200e\\u200f\\u202a-\\u202e' + // C.8
    '\\u{e0001}\\u{e0020}-\\u{e007f}' + // C.9
    ']',
  'u',
);

/** RFC 3454 table D.1: characters with bidirectional property R or AL. */
const RAND_AL =
  /[\u05be\u05c0\u05c3\u05d0-\u05ea\u05f0-\u05f4\u061b\u061f\u0621-\u063a\u0640-\u064a\u066d-\u066f\u0671-\u06d5\u06dd\u06e5\u06e6\u06fa-\u06fe\u0700-\u070d\u0710\u0712-\u072c\u0780-\u07a5\u07b1\u200f\ufb1d\ufb1f-\ufb28\ufb2a-\ufb36\ufb38-\ufb3c\ufb3e\ufb40\ufb41\ufb43\ufb44\ufb46-\ufbb1\ufbd3-\ufd3d\ufd50-\ufd8f\ufd92-\ufdc7\ufdf0-\ufdfc\ufe70-\ufe74\ufe76-\ufefc]/u;
/** Table D.2 (bidirectional property L), approximated: letters and spacing marks. */
const LEFT_TO_RIGHT = /[\p{L}\p{Mc}]/u;

/**
 * `name.encode('idna').decode('ascii')`, as Python 3.11 computes it.
 *
 * @example
 * ```ts
 * idnaEncode('bücher.example') // => 'xn--bcher-kva.example'
 * idnaEncode('.example') // throws UnicodeError: ... (UnicodeError: label empty or too long)
 * ```
 */
export function idnaEncode(name: string): string {
  if (name === '') return '';
  if (isAscii(name)) {
    const labels = name.split('.');
    const last = labels.pop() as string;
    if (labels.some((label) => label.length === 0 || label.length > MAX_LABEL)) {
      throw idnaError('label empty or too long');
    }
    if (last.length > MAX_LABEL) throw idnaError('label too long');
    return name;
  }
  const labels = name.split(DOTS);
  const trailingDot = labels[labels.length - 1] === '';
  if (trailingDot) labels.pop();
  return labels.map(toAscii).join('.') + (trailingDot ? '.' : '');
}

/** RFC 3490's ToASCII with UseSTD3ASCIIRules off and unassigned code points allowed. */
function toAscii(label: string): string {
  if (isAscii(label)) return checkedLength(label);
  const prepared = nameprep(label);
  if (isAscii(prepared)) return checkedLength(prepared);
  if (prepared.startsWith(ACE_PREFIX)) throw idnaError('Label starts with ACE prefix');
  return checkedLength(ACE_PREFIX + punycode(prepared));
}

function isAscii(text: string): boolean {
  return !/[^\x00-\x7f]/.test(text);
}

function checkedLength(label: string): string {
  if (label.length > 0 && label.length <= MAX_LABEL) return label;
  throw idnaError('label empty or too long');
}

/** RFC 3491: map (B.1, B.2), normalize (NFKC), prohibit, check bidi. */
function nameprep(label: string): string {
  // B.2 is case folding closed under NFKC: fold, normalize, fold and normalize again.
  const kept = [...label].filter((char) => !MAPPED_TO_NOTHING.has(char.codePointAt(0) as number));
  const mapped = fold(fold(kept.join('')).normalize('NFKC')).normalize('NFKC');
  for (const char of mapped) {
    if (PROHIBITED.test(char)) throw idnaError(`Invalid character ${pyRepr(char)}`);
  }
  const chars = [...mapped];
  if (chars.some((char) => RAND_AL.test(char))) {
    if (chars.some((char) => LEFT_TO_RIGHT.test(char) && !RAND_AL.test(char))) {
      throw idnaError('Violation of BIDI requirement 2');
    }
    if (!RAND_AL.test(chars[0] as string) || !RAND_AL.test(chars[chars.length - 1] as string)) {
      throw idnaError('Violation of BIDI requirement 3');
    }
  }
  return mapped;
}

/** Full case folding, one character at a time: ß becomes ss, final sigma σ. */
function fold(text: string): string {
  let out = '';
  for (const char of text) {
    const lower = char.toLowerCase();
    out += lower !== char || char === DOTLESS_I ? lower : char.toUpperCase().toLowerCase();
  }
  return out;
}

const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;

/** RFC 3492's encoder: the basic code points, a delimiter if there were any, then the deltas. */
function punycode(text: string): string {
  const input = [...text].map((char) => char.codePointAt(0) as number);
  const basic = input.filter((cp) => cp < INITIAL_N);
  let output = String.fromCodePoint(...basic) + (basic.length > 0 ? '-' : '');
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  let handled = basic.length;
  while (handled < input.length) {
    const next = Math.min(...input.filter((cp) => cp >= n));
    delta += (next - n) * (handled + 1);
    n = next;
    for (const cp of input) {
      if (cp < n) delta++;
      if (cp !== n) continue;
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
        if (q < t) break;
        output += digit(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digit(q);
      bias = adapt(delta, handled + 1, handled === basic.length);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return output;
}

function digit(value: number): string {
  return String.fromCharCode(value < 26 ? 0x61 + value : 0x16 + value);
}

function adapt(delta: number, points: number, first: boolean): number {
  let d = first ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) >> 1) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

/** Python 3.11's wording of a failed `str.encode('idna')`. */
function idnaError(reason: string): UnicodeError {
  return new UnicodeError(`encoding with 'idna' codec failed (UnicodeError: ${reason})`);
}
