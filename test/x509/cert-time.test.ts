import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsA } from '../helpers/assert-error.js';
import { certTimeToSeconds } from '../../src/x509/cert-time.js';
import { ValueError } from '../../src/errors/errors.js';
import { python } from '../helpers/python.js';

type Outcome = [kind: string, value: number | string | null];

const PYTHON_CERT_TIME = `
import json, ssl, sys
out = []
for text in json.load(sys.stdin):
    try:
        out.append(['ok', ssl.cert_time_to_seconds(text)])
    except Exception as e:
        out.append([type(e).__name__, str(e)])
print(json.dumps(out))
`;

const T = '09:34:43 2018 GMT';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Valid and invalid certificate times; every one goes to Python in a single call. */
const CASES: string[] = [
  'Jan  5 09:34:43 2018 GMT',
  'Jan 5 09:34:43 2018 GMT',
  'Jan 05 09:34:43 2018 GMT',
  ...MONTHS.map((month) => `${month} 15 12:00:00 2021 GMT`),
  ...MONTHS.map((month) => `${month.toUpperCase()} 1 00:00:00 1999 GMT`),
  'jan  5 09:34:43 2018 GMT',
  'jAN  5 09:34:43 2018 GMT',
  '\u017fep 01 00:00:00 2000 GMT',
  '\u017fEP 01 00:00:00 2000 GMT',
  'S\u017fp 01 00:00:00 2000 GMT',
  '\u212aan 01 00:00:00 2000 GMT',
  'Jan  5 09:34:43 2018 gmt',
  'Jan  5 09:34:43 2018 gMt',
  'Jan  5 09:34:43 2018 UTC',
  'Jan  5 09:34:43 2018',
  'Jan  5 09:34:43 2018 ',
  'Jan  5 09:34:43 2018 GMT ',
  'Jan  5 09:34:43 2018 GMT\n',
  'Jan  5 09:34:43 2018 GMTX',
  'Jan  5 09:34:43 2018 GMT extra',
  'Jan  5 09:34:43 2018 GMT\u0000',
  'Jan  5 09:34:43 2018GMT',
  'Jan  5 09:34:43  2018   GMT',
  'Jan5 09:34:43 2018 GMT',
  ' Jan  5 09:34:43 2018 GMT',
  'Jan\t5\t09:34:43\t2018\tGMT',
  'Jan\n5\r09:34:43\x0b2018\x0cGMT',
  'Jan\u00a05 09:34:43 2018\u3000GMT',
  `Jan\x1c5\u2028${T}`,
  `Jan\u200b5 ${T}`,
  `Jan\u00855 ${T}`,
  'Jan 1 2:3:4 2018 GMT',
  'Jan 1 02:03:04 2018 GMT',
  'Jan 9 9:05:03 2018 GMT',
  'Jan 0 09:34:43 2018 GMT',
  'Jan 00 09:34:43 2018 GMT',
  'Jan 31 09:34:43 2018 GMT',
  'Jan 32 09:34:43 2018 GMT',
  'Jan 39 09:34:43 2018 GMT',
  'Jan 3 09:34:43 2018 GMT',
  'Feb 28 00:00:00 2021 GMT',
  'Feb 29 00:00:00 2020 GMT',
  'Feb 29 00:00:00 2021 GMT',
  'Feb 30 00:00:00 2020 GMT',
  'Feb 31 23:59:59 2100 GMT',
  'Apr 31 00:00:00 2022 GMT',
  'Dec 31 23:59:59 9999 GMT',
  'Jan 01 00:00:00 0001 GMT',
  'Jan 01 00:00:00 0000 GMT',
  'Jan 01 00:00:00 0999 GMT',
  'Dec 31 23:59:59 1969 GMT',
  'Jan 01 00:00:00 1970 GMT',
  'Jan 19 03:14:08 2038 GMT',
  'Jan  5 09:34:43 18 GMT',
  'Jan  5 09:34:43 20180 GMT',
  'Jan  5 09:34:43 +2018 GMT',
  'Jan  5 23:59:59 2018 GMT',
  'Jan  5 24:00:00 2018 GMT',
  'Jan  5 19:00:00 2018 GMT',
  'Jan  5 09:60:00 2018 GMT',
  'Jan  5 09:59:60 2018 GMT',
  'Jan  5 09:59:61 2018 GMT',
  'Jan  5 09:59:62 2018 GMT',
  'Jan  5 09:34 2018 GMT',
  'Jan  5 09:34:43.5 2018 GMT',
  'Jan  5 09::43 2018 GMT',
  'Jan -5 09:34:43 2018 GMT',
  'Jan +5 09:34:43 2018 GMT',
  'Jan 1\u0665 \u0660\u0669:\u0663\u0664:\u0664\u0663 \u0662\u0660\u0661\u0668 GMT',
  'Jan 1\u0665 0\u0669:3\u0664:4\u0663 \u0662\u0660\u0661\u0668 GMT',
  'Jan 2\u0967 \u0969:\u096a:\u096b 1999 GMT',
  'Jan 15 09:34:43 \uff12\uff10\uff11\uff18 GMT',
  'Jan 15 09:34:43 \u{1d7ce}\u{1d7d8}\u{1d7e2}\u{1d7ec} GMT',
  'Jan 15 09:34:43 201\u{11f58} GMT',
  'Jan 15 09:34:43 201\u{1e4f8} GMT',
  'Jan \u0665 09:34:43 2018 GMT',
  '',
  'Ja',
  'Jan',
  'Jan ',
  'January 5 09:34:43 2018 GMT',
  'Janu 5 09:34:43 2018 GMT',
  'Foo  5 09:34:43 2018 GMT',
  'Mai  5 09:34:43 2018 GMT',
  "Jan 5 it's GMT",
  'Jan 5 "quoted" \'both\'',
  'Jan\u0000 5 09:34:43 2018 GMT',
  '\ud800an 5 09:34:43 2018 GMT',
  '\u{1f600}an 5 09:34:43 2018 GMT',
  'Jan 5 09:34:43 2018 GMT \u{1f600}',
  'Jan 5 09:34:43 2018 \\GMT',
  '2018-01-05T09:34:43Z',
  '20180105093443Z',
];

test('certTimeToSeconds reads the example from Python documentation', () => {
  assert.is(certTimeToSeconds('Jan  5 09:34:43 2018 GMT'), 1515144883);
});

test('certTimeToSeconds accepts, normalizes and rejects exactly what Python 3.11 does', () => {
  assert.ok(CASES.length >= 80, `${CASES.length} cases`);
  const expected = python<Outcome[]>(PYTHON_CERT_TIME, CASES);
  const mismatches: string[] = [];
  CASES.forEach((text, index) => {
    let actual: Outcome;
    try {
      actual = ['ok', certTimeToSeconds(text)];
    } catch (error) {
      actual = [(error as Error).name, (error as Error).message];
    }
    if (JSON.stringify(actual) !== JSON.stringify(expected[index])) {
      mismatches.push(
        `${JSON.stringify(text)}: rxtls ${JSON.stringify(actual)}, python ${JSON.stringify(expected[index])}`,
      );
    }
  });
  assert.equal(mismatches, []);
  // The table must exercise both sides, not only one.
  assert.ok(expected.filter(([kind]) => kind === 'ok').length >= 30);
  assert.ok(expected.filter(([kind]) => kind === 'ValueError').length >= 30);
});

test('certTimeToSeconds rolls a day past the end of the month into the next, as timegm', () => {
  assert.is(
    certTimeToSeconds('Feb 30 00:00:00 2021 GMT'),
    certTimeToSeconds('Mar  2 00:00:00 2021 GMT'),
  );
});

test('certTimeToSeconds throws ValueError naming the unconverted rest', () => {
  assert.throws(
    () => certTimeToSeconds('Jan  5 09:34:43 2018 GMT+1'),
    (error: unknown) =>
      error instanceof ValueError && error.message === 'unconverted data remains: +1',
  );
});

test('certTimeToSeconds throws TypeError for a non-string', () => {
  for (const value of [5, null, undefined, ['Jan'], new Date(0)]) {
    throwsA(() => certTimeToSeconds(value as unknown as string), TypeError);
  }
});

test.run();
