/**
 * OpenSSL 3.0's text for ASN.1 primitives, as Python's `_decode_certificate` receives it:
 * ASN1_TIME_print for validity times and ASN1_STRING_to_UTF8 for name attribute values.
 */
import { SSLError, ValueError } from '../errors/errors.js';
import { Tag } from './der.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Field bounds of ossl_asn1_time_to_tm: century, year, month, day, hour, minute, second, offset. */
const FIELD_MIN = [0, 0, 1, 1, 0, 0, 0, 0, 0];
const FIELD_MAX = [99, 99, 12, 31, 23, 59, 59, 12, 59];
/** OPENSSL_gmtime_adj refuses results outside these years. */
const ADJUSTED_YEAR_MIN = 1900;
const ADJUSTED_YEAR_MAX = 9999;
/** Where a GeneralizedTime's fraction point sits when seconds are present. */
const FRACTION_POINT = 14;
/** What ASN1_TIME_print writes for a time it cannot parse. */
export const BAD_TIME_VALUE = 'Bad time value';

const Z = 0x5a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const PERIOD = 0x2e;

const isDigit = (c: number | undefined): c is number => c !== undefined && c >= 0x30 && c <= 0x39;
const isLeap = (y: number) => y % 400 === 0 || (y % 100 !== 0 && y % 4 === 0);

/**
 * A UTCTime or GeneralizedTime as ASN1_TIME_print prints it: `Jan  5 09:34:43 2018 GMT`, with a
 * GeneralizedTime's fractional seconds kept, a `+hhmm`/`-hhmm` offset applied (and ` GMT` printed
 * even then: OpenSSL 3.0 does, unlike later versions), and `Bad time value` for anything
 * ossl_asn1_time_to_tm (non-strict) rejects.
 */
export function timeToText(tag: number, a: Uint8Array): string {
  const utc = tag === Tag.UtcTime;
  if (!utc && tag !== Tag.GeneralizedTime) return BAD_TIME_VALUE;
  const end = utc ? 6 : 7;
  const btz = utc ? 5 : 6;
  const l = a.length;
  if (l < (utc ? 11 : 13)) return BAD_TIME_VALUE;
  const f = [0, 0, 1, 1, 0, 0, 0]; // century, year, month, day, hour, minute, second
  let o = 0;
  for (let i = 0; i < end; i++) {
    if (i === btz && (a[o] === Z || a[o] === PLUS || a[o] === MINUS)) break;
    const hi = a[o];
    const lo = a[o + 1];
    if (!isDigit(hi) || o + 1 === l || !isDigit(lo) || o + 2 === l) return BAD_TIME_VALUE;
    o += 2;
    const n = (hi - 0x30) * 10 + (lo - 0x30);
    const field = utc ? i + 1 : i;
    if (n < FIELD_MIN[field]! || n > FIELD_MAX[field]!) return BAD_TIME_VALUE;
    if (field === 1 && utc) f[0] = n < 50 ? 20 : 19;
    if (field === 3) {
      const year = f[0]! * 100 + f[1]!;
      const days = f[2] === 2 ? MONTH_DAYS[1]! + (isLeap(year) ? 1 : 0) : MONTH_DAYS[f[2]! - 1]!;
      if (n > days) return BAD_TIME_VALUE;
    }
    f[field] = n;
  }
  if (!utc && a[o] === PERIOD) {
    if (++o === l) return BAD_TIME_VALUE;
    const first = o;
    while (o < l && isDigit(a[o])) o++;
    if (o === first || o === l) return BAD_TIME_VALUE;
  }
  let offsetSeconds = 0;
  if (a[o] === Z) {
    o++;
  } else if (a[o] === PLUS || a[o] === MINUS) {
    const sign = a[o] === MINUS ? 1 : -1;
    o++;
    if (o + 4 !== l) return BAD_TIME_VALUE;
    for (let k = 0; k < 2; k++, o += 2) {
      const hi = a[o];
      const lo = a[o + 1];
      if (!isDigit(hi) || !isDigit(lo)) return BAD_TIME_VALUE;
      const n = (hi - 0x30) * 10 + (lo - 0x30);
      if (n < FIELD_MIN[7 + k]! || n > FIELD_MAX[7 + k]!) return BAD_TIME_VALUE;
      offsetSeconds += k === 0 ? n * 3600 : n * 60;
    }
    offsetSeconds *= sign;
  } else {
    return BAD_TIME_VALUE;
  }
  if (o !== l) return BAD_TIME_VALUE;

  let [year, month, day, hour, minute, second] = [
    f[0]! * 100 + f[1]!,
    f[2]!,
    f[3]!,
    f[4]!,
    f[5]!,
    f[6]!,
  ];
  if (offsetSeconds !== 0) {
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second + offsetSeconds);
    year = date.getUTCFullYear();
    if (year < ADJUSTED_YEAR_MIN || year > ADJUSTED_YEAR_MAX) return BAD_TIME_VALUE;
    [month, day, hour, minute, second] = [
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
    ];
  }
  let fraction = '';
  if (!utc && l > FRACTION_POINT + 1 && a[FRACTION_POINT] === PERIOD) {
    let k = FRACTION_POINT + 1;
    while (k < l && isDigit(a[k])) k++;
    fraction = Buffer.from(a.subarray(FRACTION_POINT, k)).toString('latin1');
  }
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[month - 1]} ${String(day).padStart(2, ' ')} ` +
    `${two(hour)}:${two(minute)}:${two(second)}${fraction} ${year} GMT`
  );
}

/** Code units per character of the string types ASN1_STRING_to_UTF8 converts (tag2nbyte). */
const CHARACTER_WIDTH: ReadonlyMap<number, 0 | 1 | 2 | 4> = new Map([
  [Tag.Utf8String, 0],
  [Tag.NumericString, 1],
  [Tag.PrintableString, 1],
  [Tag.T61String, 1],
  [Tag.Ia5String, 1],
  [Tag.UtcTime, 1],
  [Tag.GeneralizedTime, 1],
  [Tag.VisibleString, 1],
  [Tag.UniversalString, 4],
  [Tag.BmpString, 2],
]);
const UNICODE_MAX = 0x10ffff;
const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function asn1Error(reason: string, text: string): SSLError {
  return new SSLError(text, { library: 'ASN1', reason });
}

/**
 * A name attribute's value as ASN1_STRING_to_UTF8 converts it: UTF8String checked, one-byte types
 * (Printable, IA5, T61/Teletex, Numeric, Visible) read as Latin-1, BMPString as UCS-2 and
 * UniversalString as UCS-4, big-endian. Python turns OpenSSL's refusals into SSLError.
 */
export function stringToUtf8(tag: number, content: Uint8Array): string {
  const width = CHARACTER_WIDTH.get(tag);
  if (width === undefined) {
    throw new SSLError(`unsupported string type (tag ${tag}) in a name attribute`);
  }
  if (width === 0) {
    try {
      return strictUtf8.decode(content);
    } catch (cause) {
      throw new SSLError('invalid utf8string', {
        library: 'ASN1',
        reason: 'INVALID_UTF8STRING',
        cause,
      });
    }
  }
  if (width === 1) return Buffer.from(content).toString('latin1');
  if (content.length % width !== 0) {
    throw width === 2
      ? asn1Error('INVALID_BMPSTRING_LENGTH', 'invalid bmpstring length')
      : asn1Error('INVALID_UNIVERSALSTRING_LENGTH', 'invalid universalstring length');
  }
  const points: number[] = [];
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  for (let i = 0; i < content.length; i += width) {
    const point = width === 2 ? view.getUint16(i) : view.getUint32(i);
    if (point > UNICODE_MAX || isSurrogate(point)) {
      throw asn1Error('ILLEGAL_CHARACTERS', 'illegal characters');
    }
    points.push(point);
  }
  return String.fromCodePoint(...points);
}

/**
 * Bytes as Python's `PyUnicode_FromStringAndSize` reads them (strict UTF-8), for the IA5String
 * names (DNS, email, URI) Python takes raw; Python raises UnicodeDecodeError, a ValueError.
 */
export function pythonUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (cause) {
    let at = 0;
    while (at < bytes.length && bytes[at]! < 0x80) at++;
    throw new ValueError(
      `'utf-8' codec can't decode byte 0x${bytes[at]!.toString(16).padStart(2, '0')} in position ${at}`,
      { cause },
    );
  }
}
