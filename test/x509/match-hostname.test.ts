import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsA } from '../helpers/assert-error.js';
import type { DecodedCert } from '../../src/x509/decoded-cert.js';
import { matchHostname } from '../../src/x509/match-hostname.js';
import {
  X509_V_ERR_HOSTNAME_MISMATCH,
  X509_V_ERR_IP_ADDRESS_MISMATCH,
} from '../../src/errors/verify-codes.js';
import { CertificateError, ValueError } from '../../src/errors/errors.js';
import { python } from '../helpers/python.js';

type Outcome = [kind: string, message: string | null];
type Row = [cert: DecodedCert | null, hostname: string];

// Python's match_hostname wants tuples where JSON has lists; its UnicodeEncodeError (a lone
// surrogate in an IP Address entry) is a ValueError, which is what rxtls throws. CPython's
// str() of an SSLError built from one argument is the repr of its args tuple ("('text',)"), an
// accident of SSLError.__str__; the message compared is that argument, the text Python wrote.
const PYTHON_MATCH_HOSTNAME = `
import json, ssl, sys, warnings
warnings.simplefilter('ignore')
def tup(x):
    return tuple(tup(i) for i in x) if isinstance(x, list) else x
out = []
for cert, hostname in json.load(sys.stdin):
    if cert is not None:
        cert = {key: tup(value) for key, value in cert.items()}
    try:
        ssl.match_hostname(cert, hostname)
        out.append(['ok', None])
    except Exception as e:
        name = 'ValueError' if isinstance(e, UnicodeEncodeError) else type(e).__name__
        text = e.args[0] if isinstance(e, ssl.SSLError) and len(e.args) == 1 else str(e)
        out.append([name, text])
print(json.dumps(out))
`;

const subject = (...cns: string[]): DecodedCert['subject'] => cns.map((cn) => [['commonName', cn]]);
/** A certificate with DNS subjectAltNames and a commonName that must be ignored. */
const dns = (...names: string[]): DecodedCert => ({
  subject: subject('ignored-cn.example'),
  subjectAltName: names.map((name) => ['DNS', name]),
});
/** A certificate with IP Address subjectAltNames only. */
const ip = (...addresses: string[]): DecodedCert => ({
  subjectAltName: addresses.map((address) => ['IP Address', address]),
});
/** A certificate with commonNames only. */
const cn = (...names: string[]): DecodedCert => ({ subject: subject(...names) });

const ROWS: Row[] = [
  // Exact DNS names, case, trailing dots.
  [dns('example.com'), 'example.com'],
  [dns('example.com'), 'EXAMPLE.COM'],
  [dns('ExAmPlE.CoM'), 'example.com'],
  [dns('example.com'), 'example.com.'],
  [dns('example.com.'), 'example.com'],
  [dns('example.com.'), 'example.com.'],
  [dns('example.com'), 'www.example.com'],
  [dns('example.com'), 'example.org'],
  [dns('a.example', 'b.example'), 'b.example'],
  [dns('a.example', 'b.example'), 'c.example'],
  [dns('a.example', 'b.example', 'c.example'), 'd.example'],
  [dns(''), 'example.com'],
  [dns(''), ''],
  [dns('example.com'), ''],
  [dns('localhost'), 'localhost'],
  [dns('localhost'), 'LOCALHOST'],
  // Wildcards as the whole leftmost label.
  [dns('*.example.com'), 'a.example.com'],
  [dns('*.example.com'), 'WWW.Example.Com'],
  [dns('*.example.com'), 'example.com'],
  [dns('*.example.com'), 'a.b.example.com'],
  [dns('*.example.com'), '.example.com'],
  [dns('*.example.com'), 'a.example.com.'],
  [dns('*.example.com'), '*.example.com'],
  [dns('*.example.com'), 'a.example.org'],
  [dns('*.com'), 'example.com'],
  [dns('*.'), 'a.'],
  [dns('*.'), 'a'],
  [dns('*.a'), 'b.a'],
  [dns('*.EXAMPLE.com'), 'x.example.COM'],
  [dns('*.example.com', 'example.com'), 'example.com'],
  // Malformed wildcards throw, even when a later name would match.
  [dns('f*.com'), 'foo.com'],
  [dns('*oo.com'), 'foo.com'],
  [dns('f*o.com'), 'foo.com'],
  [dns('w*.example.com'), 'www.example.com'],
  [dns('*.*.com'), 'a.b.com'],
  [dns('**.com'), 'a.com'],
  [dns('a*.*.com'), 'ab.c.com'],
  [dns('a.*.com'), 'a.b.com'],
  [dns('a.b.*'), 'a.b.c'],
  [dns('*'), 'example'],
  [dns('*'), 'a.b'],
  [dns('f*.com', 'foo.com'), 'foo.com'],
  [dns('foo.com', 'f*.com'), 'foo.com'],
  [dns('foo.com', 'f*.com'), 'bar.com'],
  [dns('*.*.com'), '127.0.0.1'],
  // IDN: A-labels compare as text; no wildcard inside an A-label.
  [dns('xn--bcher-kva.example'), 'xn--bcher-kva.example'],
  [dns('XN--BCHER-KVA.example'), 'xn--bcher-kva.example'],
  [dns('xn--bcher-kva.example'), 'bücher.example'],
  [dns('*.xn--fiqs8s'), 'www.xn--fiqs8s'],
  [dns('*.xn--fiqs8s'), 'xn--fiqs8s'],
  [dns('xn--*.example'), 'xn--bcher-kva.example'],
  [dns('xn--bcher*.example'), 'xn--bcher-kva.example'],
  [dns('*.xn--bcher-kva.example'), 'www.xn--bcher-kva.example'],
  [dns('*.xn--bcher-kva.example'), 'www.bücher.example'],
  // Unicode names: Python's lower(), final sigma included; repr keeps printable text.
  [dns('bücher.example'), 'BÜCHER.example'],
  [dns('bücher.example'), 'bucher.example'],
  [dns('σας.example'), 'ΣΑΣ.example'],
  [dns('*.σας.example'), 'α.ΣΑΣ.EXAMPLE'],
  [dns('straße.example'), 'STRASSE.example'],
  [dns('i̇.example'), 'İ.example'],
  [dns('k.example'), '\u212a.example'],
  [dns('日本.example'), '日本.example'],
  [dns('日本.example'), '中国.example'],
  [dns('\u{1f600}.example'), '\u{1f601}.example'],
  [dns('\u{1fae8}.example'), 'x.example'],
  [dns('a\u200bb.example'), 'ab.example'],
  [dns('a\u00adb.example'), 'ab.example'],
  [dns('a\u00a0b.example'), 'ab.example'],
  [dns('tab\tname.example'), 'x'],
  [dns('nl\nname.example', 'cr\rname'), 'x'],
  [dns('nul\u0000.example'), 'nul'],
  [dns('del\u007f.example', '\u0085x'), 'x'],
  [dns("it's.example"), 'x'],
  [dns('say "hi".example'), 'x'],
  [dns('both\'"quotes'), 'x'],
  [dns('back\\slash'), 'x'],
  [dns('example.com'), "it's.example"],
  [dns('example.com'), 'host\u0000name'],
  [dns('example.com'), '\ud800.example'],
  [dns('\ud800.example'), '\ud800.example'],
  [dns('\udc00x'), 'y'],
  [dns('example.com'), '\u{10ffff}'],
  [dns('example.com'), '\u2028'],
  // IPv4 hostnames against IP Address names.
  [ip('127.0.0.1'), '127.0.0.1'],
  [ip('127.0.0.1'), '127.0.0.2'],
  [ip('127.0.0.2', '127.0.0.1'), '127.0.0.1'],
  [ip('10.0.0.1', '10.0.0.2'), '127.0.0.1'],
  [ip('0.0.0.0'), '0.0.0.0'],
  [ip('255.255.255.255'), '255.255.255.255'],
  [ip('127.0.0.1'), '127.1'],
  [ip('127.0.0.1'), '127.0.0.01'],
  [ip('127.0.0.1'), '127.000.000.001'],
  [ip('127.0.0.1'), '0x7f.0.0.1'],
  [ip('127.0.0.1'), '2130706433'],
  [ip('127.0.0.1'), '127.0.0.1 '],
  [ip('127.0.0.1'), ' 127.0.0.1'],
  [ip('127.0.0.1'), '127.0.0.1\n'],
  [ip('127.0.0.1'), '127.0.0.1.'],
  [ip('127.0.0.1'), '256.0.0.1'],
  [ip('127.0.0.1'), '1.2.3.4.5'],
  [ip('127.0.0.1 '), '127.0.0.1'],
  [ip('127.0.0.1\n'), '127.0.0.1'],
  [ip('127.0.0.1\u00a0'), '127.0.0.1'],
  [ip('127.0.0.1\u0085'), '127.0.0.1'],
  [ip('127.0.0.1\u3000'), '127.0.0.1'],
  [ip('127.0.0.1\ufeff'), '127.0.0.1'],
  [ip('127.0.0.1\u200b'), '127.0.0.1'],
  [ip(' 127.0.0.1'), '127.0.0.1'],
  [ip('127.1'), '127.0.0.1'],
  [ip('127.0.0.01'), '127.0.0.1'],
  [ip('0x7f.0.0.1'), '127.0.0.1'],
  [ip('0X7F.0.0.1'), '127.0.0.1'],
  [ip('0x.0.0.1'), '127.0.0.1'],
  [ip('08.0.0.1'), '127.0.0.1'],
  [ip('0177.0.0.1'), '127.0.0.1'],
  [ip('4294967295'), '127.0.0.1'],
  [ip('4294967296'), '127.0.0.1'],
  [ip('99999999999999999999'), '127.0.0.1'],
  [ip('1.16777215'), '127.0.0.1'],
  [ip('1.16777216'), '127.0.0.1'],
  [ip('1.2.65535'), '127.0.0.1'],
  [ip('1.2.65536'), '127.0.0.1'],
  [ip('1.2.3.256'), '127.0.0.1'],
  [ip('256.1'), '127.0.0.1'],
  [ip('1.2.3.'), '127.0.0.1'],
  [ip('1..2.3'), '127.0.0.1'],
  [ip('127.0.0.1 trailing'), '127.0.0.1'],
  [ip('127.0.0.1\tx'), '127.0.0.1'],
  [ip('127.0.0.1x'), '127.0.0.1'],
  [ip('1.2.3.4.5'), '127.0.0.1'],
  [ip('not an address'), '127.0.0.1'],
  [ip(''), '127.0.0.1'],
  [ip('127.0.0.1\u0000'), '127.0.0.1'],
  [ip('\ud800'), '127.0.0.1'],
  [ip('1\ud800'), '::1'],
  [ip('127.0.0.1'), 'localhost'],
  [ip('not an address'), 'localhost'],
  // IPv6 hostnames and names in every form inet_pton reads.
  [ip('::1'), '::1'],
  [ip('::1'), '0:0:0:0:0:0:0:1'],
  [ip('0:0:0:0:0:0:0:1'), '::1'],
  [ip('0000:0000:0000::0001'), '::1'],
  [ip('::1'), '::2'],
  [ip('::'), '0::0'],
  [ip('2001:DB8::1'), '2001:db8::1'],
  [ip('2001:db8::1\n'), '2001:db8::1'],
  [ip('2001:db8::1\n'), '2001:db8::2'],
  [ip('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'],
  [ip('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8'],
  [ip('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0'],
  [ip('::2:3:4:5:6:7:8'), '0:2:3:4:5:6:7:8'],
  [ip('::ffff:127.0.0.1'), '::ffff:7f00:1'],
  [ip('::ffff:127.0.0.1'), '127.0.0.1'],
  [ip('127.0.0.1'), '::ffff:127.0.0.1'],
  [ip('::1.2.3.4'), '::102:304'],
  [ip('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304'],
  [ip('1:2:3:4:5:6:7:1.2.3.4'), '::1'],
  [ip('::01.2.3.4'), '::1'],
  [ip('::1.2.3'), '::1'],
  [ip('::256.2.3.4'), '::1'],
  [ip('1::2::3'), '::1'],
  [ip(':::'), '::1'],
  [ip(':1::'), '::1'],
  [ip('1:'), '::1'],
  [ip('1::2:'), '::1'],
  [ip('12345::'), '::1'],
  [ip('1:2:3:4:5:6:7:8:9'), '::1'],
  [ip('1:2:3:4:5:6:7:8::'), '::1'],
  [ip('fe80::1%eth0'), 'fe80::1'],
  [ip('[::1]'), '::1'],
  [ip('::1'), '[::1]'],
  [ip('::1'), 'fe80::1%eth0'],
  [ip('::1'), '::g'],
  [ip('FFFF::'), 'ffff::'],
  [ip('::ffff'), '::FFFF'],
  // An IP hostname never matches DNS names with the same text, and the reverse.
  [dns('127.0.0.1'), '127.0.0.1'],
  [dns('::1'), '::1'],
  [dns('127.1'), '127.1'],
  [dns('256.0.0.1'), '256.0.0.1'],
  [ip('127.0.0.1'), 'example.com'],
  [
    {
      subjectAltName: [
        ['DNS', 'example.com'],
        ['IP Address', '127.0.0.1'],
      ],
    },
    '127.0.0.1',
  ],
  [
    {
      subjectAltName: [
        ['DNS', 'example.com'],
        ['IP Address', '127.0.0.1'],
      ],
    },
    'example.com',
  ],
  [
    {
      subjectAltName: [
        ['DNS', 'example.com'],
        ['IP Address', '127.0.0.1'],
      ],
    },
    '127.0.0.2',
  ],
  [
    {
      subjectAltName: [
        ['DNS', 'example.com'],
        ['IP Address', 'bogus'],
      ],
    },
    '127.0.0.1',
  ],
  [
    {
      subjectAltName: [
        ['DNS', 'example.com'],
        ['IP Address', 'bogus'],
      ],
    },
    'example.com',
  ],
  [
    {
      subjectAltName: [
        ['IP Address', '127.0.0.1'],
        ['IP Address', 'bogus'],
      ],
    },
    '127.0.0.1',
  ],
  // commonName: only without DNS and IP Address names.
  [cn('example.com'), 'example.com'],
  [cn('Example.COM'), 'example.com'],
  [cn('example.com'), 'other.example'],
  [cn('*.example.com'), 'a.example.com'],
  [cn('*.example.com'), 'example.com'],
  [cn('f*.example.com'), 'foo.example.com'],
  [cn('*.*.example'), '127.0.0.1'],
  [cn('127.0.0.1'), '127.0.0.1'],
  [cn('::1'), '::1'],
  [cn('a.example', 'b.example'), 'b.example'],
  [cn('a.example', 'b.example'), 'c.example'],
  [cn(''), 'example.com'],
  [{ ...cn('example.com'), subjectAltName: [['DNS', 'other.example']] }, 'example.com'],
  [{ ...cn('example.com'), subjectAltName: [['IP Address', '127.0.0.1']] }, 'example.com'],
  [{ ...cn('example.com'), subjectAltName: [['email', 'a@example.com']] }, 'example.com'],
  [{ ...cn('example.com'), subjectAltName: [['email', 'a@example.com']] }, 'other.example'],
  [{ ...cn('example.com'), subjectAltName: [['URI', 'https://x.example/']] }, 'example.com'],
  [
    {
      ...cn('example.com'),
      subjectAltName: [
        ['DirName', [[['commonName', 'x.example']]]],
        ['othername', '<unsupported>'],
      ],
    },
    'example.com',
  ],
  [{ ...cn('example.com'), subjectAltName: [] }, 'example.com'],
  [{ ...cn('example.com'), subjectAltName: [['Registered ID', '1.2.3']] }, 'x.example'],
  [
    {
      subject: [
        [
          ['organizationName', 'Example'],
          ['commonName', 'multi.example'],
        ],
        [['countryName', 'US']],
        [['commonName', 'second.example']],
      ],
    },
    'second.example',
  ],
  [{ subject: [[['organizationName', 'Example']]] }, 'example.com'],
  [{ subject: [[['organizationName', 'Example']]], subjectAltName: [['email', 'a@b']] }, 'b'],
  // Certificates with nothing to match, and no certificate at all.
  [{ issuer: [[['commonName', 'CA']]] }, 'example.com'],
  [{ subject: [] }, 'example.com'],
  [{ version: 3 }, '127.0.0.1'],
  [{}, 'example.com'],
  [null, 'example.com'],
];

function outcome(cert: DecodedCert | null, hostname: unknown): Outcome {
  try {
    matchHostname(cert, hostname as string);
    return ['ok', null];
  } catch (error) {
    return [(error as Error).name, (error as Error).message];
  }
}

test('matchHostname agrees with Python 3.11 on every row of the table', () => {
  assert.ok(ROWS.length >= 150, `${ROWS.length} rows`);
  const expected = python<Outcome[]>(PYTHON_MATCH_HOSTNAME, ROWS);
  const mismatches: string[] = [];
  ROWS.forEach(([cert, hostname], index) => {
    const actual = outcome(cert, hostname);
    if (JSON.stringify(actual) !== JSON.stringify(expected[index])) {
      mismatches.push(
        `${JSON.stringify([cert, hostname])}: rxtls ${JSON.stringify(actual)}, python ${JSON.stringify(expected[index])}`,
      );
    }
  });
  assert.equal(mismatches, []);
  const kinds = new Set(expected.map(([kind]) => kind));
  assert.equal([...kinds].sort(), ['SSLCertVerificationError', 'ValueError', 'ok']);
});

test('a non-string hostname is a TypeError, as in Python, unless the certificate is empty', () => {
  const rows: [DecodedCert, unknown][] = [
    [dns('example.com'), 5],
    [dns('example.com'), null],
    [{}, 5],
  ];
  const expected = python<Outcome[]>(PYTHON_MATCH_HOSTNAME, rows);
  assert.equal(
    rows.map(([cert, hostname]) => outcome(cert, hostname)[0]),
    expected.map(([kind]) => kind),
  );
  assert.equal(
    expected.map(([kind]) => kind),
    ['TypeError', 'TypeError', 'ValueError'],
  );
});

test('a certificate that is not an object is a TypeError', () => {
  throwsA(() => matchHostname('example.com' as unknown as DecodedCert, 'x'), TypeError);
});

test('a DNS mismatch carries X509_V_ERR_HOSTNAME_MISMATCH and the message as verifyMessage', () => {
  try {
    matchHostname(dns('a.example', 'b.example'), 'c.example');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, CertificateError);
    const e = error as CertificateError;
    assert.is(e.verifyCode, X509_V_ERR_HOSTNAME_MISMATCH);
    assert.is(
      e.verifyMessage,
      "hostname 'c.example' doesn't match either of 'a.example', 'b.example'",
    );
    assert.is(e.message, e.verifyMessage);
  }
});

test('an IP address mismatch carries X509_V_ERR_IP_ADDRESS_MISMATCH', () => {
  assert.throws(
    () => matchHostname(ip('10.0.0.1'), '10.0.0.2'),
    (error: unknown) =>
      error instanceof CertificateError && error.verifyCode === X509_V_ERR_IP_ADDRESS_MISMATCH,
  );
});

test('an unreadable IP Address name is a ValueError, not a mismatch', () => {
  assert.throws(
    () => matchHostname(ip('127.1'), '127.0.0.1'),
    (error: unknown) =>
      error instanceof ValueError && error.message === "'127.1' is not a quad-dotted IPv4 address.",
  );
});

test.run();
