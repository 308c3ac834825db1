/**
 * Python 3.11's `str` semantics where they leak into messages and parsers: `repr()`,
 * `str.lower()`, `str.rstrip()`, the `\s` and `\d` of `re`, and `int()` of Unicode digits.
 *
 * Python 3.11 knows Unicode 14.0; Node's ICU knows a later version. Code points assigned since
 * Unicode 14 are unassigned (`Cn`) to Python: not printable, not digits, without case. They are
 * listed here so that rxtls's answers do not drift with Node's ICU.
 */

/** Code points unassigned in Unicode 14.0 (Python 3.11) but assigned in Node 20's ICU, as hex ranges. */
const ASSIGNED_AFTER_UNICODE_14 =
  '88f 897 c5c cdc cf3 ece 1acf-1add 1ae0-1aeb 1b4e-1b4f 1b7f 1c89-1c8a 20c1 2427-2429 2b96 ' +
  '2ffc-2fff 31e4-31e5 31ef a7cb-a7cf a7d2 a7d4 a7da-a7dc a7f1 fbc3-fbd2 fd90-fd91 fdc8-fdce ' +
  '105c0-105f3 10940-10959 10d40-10d65 10d69-10d85 10d8e-10d8f 10ec2-10ec7 10ed0-10ed8 ' +
  '10efa-10eff 1123f-11241 11380-11389 1138b 1138e 11390-113b5 113b7-113c0 113c2 113c5 ' +
  '113c7-113ca 113cc-113d5 113d7-113d8 113e1-113e2 116d0-116e3 11b00-11b09 11b60-11b67 ' +
  '11bc0-11be1 11bf0-11bf9 11db0-11ddb 11de0-11de9 11f00-11f10 11f12-11f3a 11f3e-11f5a 1342f ' +
  '13439-13455 13460-143fa 16100-16139 16d40-16d79 16ea0-16eb8 16ebb-16ed3 16ff2-16ff6 ' +
  '187f8-187ff 18cff 18d09-18d1e 18d80-18df2 1b132 1b155 1cc00-1ccfc 1cd00-1ceb3 1ceba-1ced0 ' +
  '1cee0-1cef0 1d2c0-1d2d3 1df25-1df2a 1e030-1e06d 1e08f 1e4d0-1e4f9 1e5d0-1e5fa 1e5ff ' +
  '1e6c0-1e6de 1e6e0-1e6f5 1e6fe-1e6ff 1f6d8 1f6dc 1f774-1f77f 1f7d9 1f8b2-1f8bb 1f8c0-1f8c1 ' +
  '1f8d0-1f8d8 1fa54-1fa57 1fa75-1fa77 1fa87-1fa8a 1fa8e-1fa8f 1faad-1faaf 1fabb-1fabf 1fac6 ' +
  '1fac8 1facd-1facf 1fada-1fadc 1fadf 1fae8-1faea 1faef 1faf7-1faf8 1fbcb-1fbef 1fbfa ' +
  '2b739-2b73f 2cea2-2cead 2ebf0-2ee5d 31350-33479 ';

const LATE_RANGES: readonly [number, number][] = ASSIGNED_AFTER_UNICODE_14.trim()
  .split(/\s+/)
  .map((item) => {
    const [low, high = low] = item.split('-');
    return [Number.parseInt(low!, 16), Number.parseInt(high!, 16)];
  });

/** Whether Python 3.11 (Unicode 14) considers the code point unassigned while Node does not. */
function isLateCodePoint(cp: number): boolean {
  let low = 0;
  let high = LATE_RANGES.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const [start, end] = LATE_RANGES[mid]!;
    if (cp < start) high = mid - 1;
    else if (cp > end) low = mid + 1;
    else return true;
  }
  return false;
}

/** Python's `Py_UNICODE_ISSPACE`: what `str.isspace()`, `str.rstrip()` and `re`'s `\s` accept. */
const PYTHON_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

/** The character classes Python's `str.isprintable()` rejects (space excepted). */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const HEX_RADIX = 16;
const LAST_ASCII_PRINTABLE = 0x7e;
const LAST_LATIN1 = 0xff;
const LAST_BMP = 0xffff;
const SPACE = 0x20;
const DIGITS_PER_SET = 10;

/** Whether the code point is whitespace to Python (`str.isspace()`, `re`'s `\s`). */
export function pyIsSpace(cp: number): boolean {
  return PYTHON_WHITESPACE.has(cp);
}

/** Python's `str.rstrip()` with no argument. */
export function pyRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && PYTHON_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

/** Python's `str.isprintable()` for one code point. */
export function pyIsPrintable(cp: number): boolean {
  if (cp === SPACE) return true;
  return !NOT_PRINTABLE.test(String.fromCodePoint(cp)) && !isLateCodePoint(cp);
}

/**
 * The value of a Unicode decimal digit (category `Nd`, what Python's `re` `\d` and `int()`
 * accept), or -1. Every `Nd` run is made of whole sets of ten starting at a zero (a Unicode
 * stability guarantee), so the value is the distance to the run's start, modulo ten.
 */
export function pyDecimalValue(cp: number): number {
  if (!isPyDecimal(cp)) return -1;
  let start = cp;
  while (isPyDecimal(start - 1)) start--;
  return (cp - start) % DIGITS_PER_SET;
}

function isPyDecimal(cp: number): boolean {
  return cp >= 0 && DECIMAL_DIGIT.test(String.fromCodePoint(cp)) && !isLateCodePoint(cp);
}

/**
 * Python's `str.lower()`. Characters Python does not know have no case there, so runs between
 * them are lowered separately; final-sigma context ends at such a character in both worlds.
 */
export function pyLower(text: string): string {
  let out = '';
  let run = '';
  for (const char of text) {
    if (isLateCodePoint(char.codePointAt(0)!)) {
      out += run.toLowerCase() + char;
      run = '';
    } else {
      run += char;
    }
  }
  return out + run.toLowerCase();
}

/**
 * Python's `repr()` of a `str`: single quotes unless the text contains `'` and no `"`;
 * backslash escapes for `\\`, the quote, `\t`, `\n`, `\r`; `\xhh`, `\uhhhh` or `\Uhhhhhhhh`
 * for what Python deems unprintable; printable non-ASCII kept as is.
 *
 * @example
 * ```ts
 * pyRepr("it's") // => `"it's"`
 * pyRepr('a\u0000b') // => `'a\\x00b'`
 * ```
 */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (cp >= SPACE && cp <= LAST_ASCII_PRINTABLE) out += char;
    else if (cp > LAST_ASCII_PRINTABLE + 1 && pyIsPrintable(cp)) out += char;
    else if (cp <= LAST_LATIN1) out += `\\x${hex(cp, 2)}`;
    else if (cp <= LAST_BMP) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

function hex(value: number, width: number): string {
  return value.toString(HEX_RADIX).padStart(width, '0');
}

/**
 * A regular-expression fragment (for a `u` RegExp) matching one digit of Python's `re` `\d`:
 * a Unicode `Nd` code point Unicode 14 already had.
 */
export const PY_DIGIT_PATTERN = `(?:(?![${LATE_RANGES.map(
  ([low, high]) => `\\u{${low.toString(HEX_RADIX)}}-\\u{${high.toString(HEX_RADIX)}}`,
).join('')}])\\p{Nd})`;

/** A regular-expression fragment (for a `u` RegExp) matching one character of Python's `\s`. */
export const PY_SPACE_PATTERN = `[${[...PYTHON_WHITESPACE]
  .map((cp) => `\\u{${cp.toString(HEX_RADIX)}}`)
  .join('')}]`;

/** Python's `int()` of a string of decimal digits, surrounding whitespace allowed. */
export function pyInt(text: string): number {
  let value = 0;
  for (const char of text.trim())
    value = value * DIGITS_PER_SET + pyDecimalValue(char.codePointAt(0)!);
  return value;
}

/** Python's `len()`-based slicing: the first `count` code points of `text`. */
export function pyHead(text: string, count: number): string {
  let out = '';
  let taken = 0;
  for (const char of text) {
    if (taken++ === count) break;
    out += char;
  }
  return out;
}
