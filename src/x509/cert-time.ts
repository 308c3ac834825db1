/**
 * Python 3.11's `ssl.cert_time_to_seconds`: a certificate's `notBefore`/`notAfter` text to
 * seconds since the Epoch, through the same `time.strptime` pattern and `calendar.timegm`
 * arithmetic, so it accepts, normalizes and rejects exactly what Python does.
 */
import { typeError, ValueError } from '../errors/errors.js';
import { PY_DIGIT_PATTERN, PY_SPACE_PATTERN, pyHead, pyInt, pyRepr } from './py-str.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_LENGTH = 3;
/** What Python hands to `strptime` after cutting off the month: note the leading space. */
const TIME_FORMAT = ' %d %H:%M:%S %Y GMT';
const SECONDS_PER_MINUTE = 60;
const MINUTES_PER_HOUR = 60;
const HOURS_PER_DAY = 24;
const MS_PER_DAY = 86_400_000;
const MIN_YEAR = 1;

/**
 * `_strptime`'s regular expression for TIME_FORMAT: every run of whitespace in the format
 * becomes `\s+`, the directives their `_TimeRE` patterns, `GMT` matched ignoring case. Python's
 * `\s` and `\d` are Unicode-wide, so they are spelled out for Python's Unicode 14.
 */
const TIME_PATTERN = (() => {
  const s = `${PY_SPACE_PATTERN}+`;
  const d = PY_DIGIT_PATTERN;
  const day = `(3[0-1]|[1-2]${d}|0[1-9]|[1-9]| [1-9])`;
  const hour = `(2[0-3]|[0-1]${d}|${d})`;
  const minute = `([0-5]${d}|${d})`;
  const second = `(6[0-1]|[0-5]${d}|${d})`;
  const year = `(${d}${d}${d}${d})`;
  return new RegExp(`^${s}${day}${s}${hour}:${minute}:${second}${s}${year}${s}[Gg][Mm][Tt]`, 'u');
})();

/**
 * Python's `cert_time[:3].title()` compared with the C-locale month abbreviations. Apart from
 * ASCII case, the only way to a month through `str.title()` is `ſ` (long s), titled `S`.
 */
function monthNumber(head: string): number {
  const normalized = head.startsWith('\u017f') ? `S${head.slice(1)}` : head;
  const lower = normalized.toLowerCase();
  return MONTHS.findIndex((month) => month.toLowerCase() === lower) + 1;
}

/** Days from 1970-01-01 to the first of the month, proleptic Gregorian (`date.toordinal()`). */
function daysToMonthStart(year: number, month: number): number {
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, 1);
  return date.getTime() / MS_PER_DAY;
}

/**
 * Seconds since the Epoch for a certificate time in OpenSSL's `ASN1_TIME_print` form
 * (`%b %d %H:%M:%S %Y GMT`, C locale), exactly as Python 3.11's `ssl.cert_time_to_seconds`:
 * month names in any case, one or more whitespace characters between fields, one- or two-digit
 * day and time fields, seconds up to 61; days past the month's end roll over (`Feb 30` is
 * `Mar 2`), as `calendar.timegm` does.
 *
 * @throws ValueError - with Python's message: `time data '...' does not match format ...`,
 *   `unconverted data remains: ...`, `year 0 is out of range`.
 * @throws TypeError - for a non-string.
 * @example
 * ```ts
 * certTimeToSeconds('Jan  5 09:34:43 2018 GMT'); // => 1515144883
 * ```
 */
export function certTimeToSeconds(text: string): number {
  if (typeof text !== 'string') throw typeError('certTime', 'a string', text);
  const head = pyHead(text, MONTH_LENGTH);
  const month = monthNumber(head);
  if (month === 0) {
    throw new ValueError(`time data ${pyRepr(text)} does not match format "%b${TIME_FORMAT}"`);
  }
  const rest = text.slice(head.length);
  const found = TIME_PATTERN.exec(rest);
  if (found === null) {
    throw new ValueError(`time data ${pyRepr(rest)} does not match format ${pyRepr(TIME_FORMAT)}`);
  }
  if (found[0].length !== rest.length) {
    throw new ValueError(`unconverted data remains: ${rest.slice(found[0].length)}`);
  }
  const [day, hour, minute, second, year] = found.slice(1).map((group) => pyInt(group!));
  // strptime builds a date (January: it never saw the month) before timegm does any arithmetic.
  if (year! < MIN_YEAR) throw new ValueError(`year ${year} is out of range`);
  const days = daysToMonthStart(year!, month) + day! - 1;
  return (
    ((days * HOURS_PER_DAY + hour!) * MINUTES_PER_HOUR + minute!) * SECONDS_PER_MINUTE + second!
  );
}
