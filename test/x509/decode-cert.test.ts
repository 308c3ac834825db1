import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsA } from '../helpers/assert-error.js';
import { decodeCert } from '../../src/x509/decode-cert.js';
import { DerReader } from '../../src/x509/der.js';
import { derCertToPemCert, pemCertToDerCert } from '../../src/x509/pem.js';
import { SSLError, ValueError } from '../../src/errors/errors.js';
import { craft, extension, name, oid, str, tlv } from '../helpers/der-builder.js';
import { buildOpensslCorpus, removeCorpus, writeChainFile } from '../helpers/openssl-corpus.js';
import { python } from '../helpers/python.js';

const { dir, certs } = buildOpensslCorpus();

/**
 * Python's compact JSON of `_test_decode_cert` for each path, or `error: <type>: <message>`. The
 * message is the exception's argument: `str()` of an SSLError raised this way is a tuple's repr.
 */
const DECODE_ALL = `
import json, ssl, sys
out = []
for path in json.load(sys.stdin):
    try:
        out.append(json.dumps(ssl._ssl._test_decode_cert(path), separators=(',', ':'), ensure_ascii=False))
    except Exception as e:
        out.append('error: %s: %s' % (type(e).__name__, e.args[0] if len(e.args) == 1 else e))
print(json.dumps(out))
`;

function pythonDecode(paths: string[]): string[] {
  return python<string[]>(DECODE_ALL, paths);
}

test.after(() => removeCorpus(dir));

test('the corpus covers more than thirty certificates', () => {
  assert.ok(certs.length >= 30, `only ${certs.length} certificates`);
});

test('decodeCert of PEM text equals Python for every corpus certificate', () => {
  const expected = pythonDecode(certs.map((c) => c.path));
  certs.forEach((cert, i) => {
    const ours = JSON.stringify(decodeCert(readFileSync(cert.path, 'utf8')));
    assert.is(ours, expected[i], cert.name);
  });
});

test('decodeCert of DER bytes and of PEM bytes equals decodeCert of PEM text', () => {
  for (const cert of certs) {
    const pem = readFileSync(cert.path, 'utf8');
    const fromText = JSON.stringify(decodeCert(pem));
    assert.is(JSON.stringify(decodeCert(pemCertToDerCert(pem))), fromText, cert.name);
    const der = pemCertToDerCert(pem);
    const plain = new Uint8Array(der.buffer, der.byteOffset, der.byteLength);
    assert.is(JSON.stringify(decodeCert(plain)), fromText, `${cert.name} (Uint8Array)`);
    assert.is(
      JSON.stringify(decodeCert(readFileSync(cert.path))),
      fromText,
      `${cert.name} (PEM bytes)`,
    );
  }
});

test('decodeCert of a chain file decodes the first certificate, as Python does', () => {
  const chain = writeChainFile(dir, certs.slice(3, 8));
  const [expected] = pythonDecode([chain]);
  assert.is(JSON.stringify(decodeCert(readFileSync(chain, 'utf8'))), expected);
  assert.is(expected, JSON.stringify(decodeCert(readFileSync(certs[3]!.path, 'utf8'))));
});

test('decodeCert skips a private key block before the certificate, as Python does', () => {
  const path = join(dir, 'key-then-cert.pem');
  writeFileSync(
    path,
    readFileSync(join(dir, 'key.pem'), 'utf8') + readFileSync(certs[0]!.path, 'utf8'),
  );
  const [expected] = pythonDecode([path]);
  assert.is(JSON.stringify(decodeCert(readFileSync(path, 'utf8'))), expected);
});

const UTC = 0x17;
const GEN = 0x18;
const CN = '2.5.4.3';
const validity = (a: [number, string], b: [number, string]) =>
  tlv(0x30, str(a[0], a[1]), str(b[0], b[1]));
const san = (...names: Buffer[]) => extension('2.5.29.17', tlv(0x30, ...names));

/** Certificates rebuilt by hand around openssl's, for what the CLI cannot make. */
function craftedCases(der: Buffer): [string, Buffer][] {
  const ucs4 = Buffer.alloc(8);
  ucs4.writeUInt32BE(0x1f600, 0);
  ucs4.writeUInt32BE(0x41, 4);
  const times = (a: [number, string], b: [number, string]) =>
    craft(der, { validity: validity(a, b) });
  return [
    ['fractional seconds', times([GEN, '20240102030405.123Z'], [GEN, '20991231235959.5Z'])],
    ['no seconds and offsets', times([UTC, '2401020304Z'], [UTC, '240102030405+0130'])],
    ['negative offset, no Z', times([GEN, '20240229230000-0200'], [UTC, '491231235959-0000'])],
    ['bad time values', times([UTC, 'garbage-time'], [GEN, '20230229000000Z'])],
    ['offset before 1900', times([GEN, '19000101000000+0100'], [GEN, '00010101000000Z'])],
    [
      'string types',
      craft(der, {
        subject: name(
          [CN, str(0x1e, Buffer.from([0x00, 0x34, 0x03, 0xa9]))],
          ['2.5.4.10', str(0x1c, ucs4)],
          ['2.5.4.11', str(0x14, Buffer.from([0x63, 0x61, 0x66, 0xe9]))],
          ['2.5.4.5', str(0x12, '0123 456')],
          ['2.5.4.7', str(0x16, 'ia5 value')],
          ['1.2.3.4', str(0x13, 'printable')],
        ),
      }),
    ],
    [
      'unusual general names',
      craft(der, {
        extensions: [
          san(
            tlv(0x87, Buffer.from([1, 2, 3, 4, 5])),
            tlv(0x87, Buffer.alloc(0)),
            tlv(0xa3, tlv(0x30, str(0x13, 'x400'))),
            tlv(0xa5, tlv(0xa1, str(0x0c, 'edi'))),
            tlv(0x82, Buffer.from('nul\u0000byte.example')),
            tlv(0x88, oid('2.999.1234567890123456789').subarray(2)),
            tlv(0xa0, oid('1.3.6.1.4.1.311.20.2.3'), tlv(0xa0, str(0x0c, 'line\nbreak'))),
            tlv(0xa0, oid('1.3.6.1.5.5.7.8.9'), tlv(0xa0, str(0x0c, 'nul\u0000cut'))),
          ),
        ],
      }),
    ],
    [
      'two SAN extensions',
      craft(der, { extensions: [san(str(0x82, 'a.example')), san(str(0x82, 'b.example'))] }),
    ],
    ['undecodable SAN', craft(der, { extensions: [san(tlv(0x89, Buffer.from('x')))] })],
    [
      'CRL DP with relative name and issuer',
      craft(der, {
        extensions: [
          extension(
            '2.5.29.31',
            tlv(
              0x30,
              tlv(0x30, tlv(0xa0, tlv(0xa1, tlv(0x30, oid(CN), str(0x13, 'rel'))))),
              tlv(
                0x30,
                tlv(0xa0, tlv(0xa0, str(0x86, 'http://crl/1'), str(0x82, 'dns'))),
                tlv(0x81, Buffer.from([0x06, 0x40])),
              ),
              tlv(0x30, tlv(0xa2, str(0x86, 'http://issuer/'))),
            ),
          ),
          extension('1.3.6.1.5.5.7.1.1', tlv(0x30)),
        ],
      }),
    ],
    ['serial 0x00ff01', craft(der, { serial: tlv(0x02, Buffer.from([0x00, 0xff, 0x01])) })],
    [
      'empty RDN and empty issuer',
      craft(der, {
        subject: tlv(0x30, tlv(0x31), tlv(0x31, tlv(0x30, oid(CN), str(0x0c, 'x')))),
        issuer: tlv(0x30),
      }),
    ],
    [
      'invalid UTF8String in subject',
      craft(der, { subject: name([CN, str(0x0c, Buffer.from([0xc3, 0x28]))]) }),
    ],
    ['VisibleString in subject', craft(der, { subject: name([CN, str(0x1a, 'visible')]) })],
  ];
}

test('decodeCert equals Python on hand-made certificates (times, string types, general names)', () => {
  const base = certs.find((c) => c.name === 'dns-sans')!;
  const cases = craftedCases(pemCertToDerCert(readFileSync(base.path, 'utf8')));
  const paths = cases.map(([label, bytes]) => {
    const path = join(dir, `crafted-${label.replace(/\W+/g, '-')}.pem`);
    writeFileSync(path, derCertToPemCert(bytes));
    return path;
  });
  const expected = pythonDecode(paths);
  cases.forEach(([label, bytes], i) => {
    let ours: string;
    try {
      ours = JSON.stringify(decodeCert(derCertToPemCert(bytes)));
    } catch (error) {
      ours = `error: ${(error as Error).name}: ${(error as Error).message}`;
      if (!(error instanceof SSLError || error instanceof ValueError)) throw error;
    }
    assert.is(ours, expected[i], label);
  });
});

test("PEM input without a decodable certificate throws Python's SSLError message", () => {
  const good = readFileSync(certs[0]!.path, 'utf8');
  const lines = good.trimEnd().split('\n');
  const truncated = [...lines.slice(0, 4), lines.at(-1)!].join('\n');
  const bad: [string, string][] = [
    ['empty', ''],
    ['garbage', 'not a certificate at all\n'],
    ['key only', readFileSync(join(dir, 'key.pem'), 'utf8')],
    ['truncated', `${truncated}\n`],
    ['not base64', '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'],
    ['no footer', lines.slice(0, 5).join('\n')],
  ];
  const paths = bad.map(([name, text]) => {
    const path = join(dir, `bad-${name.replace(/ /g, '-')}.pem`);
    writeFileSync(path, text);
    return path;
  });
  const expected = pythonDecode(paths);
  bad.forEach(([name, text], i) => {
    assert.is(expected[i], 'error: SSLError: Error decoding PEM-encoded file', `python, ${name}`);
    try {
      decodeCert(text);
      assert.unreachable(name);
    } catch (error) {
      assert.instance(error, SSLError, name);
      assert.is((error as Error).message, 'Error decoding PEM-encoded file', name);
    }
  });
});

test('malformed DER bytes throw an SSLError naming what is wrong', () => {
  const der = pemCertToDerCert(readFileSync(certs[0]!.path, 'utf8'));
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated', der.subarray(0, der.length - 10), /truncated DER in certificate/],
    ['header only', der.subarray(0, 2), /truncated DER/],
    ['a lone SEQUENCE tag', Uint8Array.of(0x30), /truncated DER.*length octet/],
    [
      'an empty SEQUENCE',
      Uint8Array.of(0x30, 0x00),
      /truncated DER in certificate: the identifier octet/,
    ],
    [
      'trailing element',
      tlv(0x30, new DerReader(der, 'cert').read().value, Buffer.of(0x05, 0x00)),
      /unexpected data in certificate/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    try {
      decodeCert(bytes);
      assert.unreachable(name);
    } catch (error) {
      assert.instance(error, SSLError, name);
      assert.match((error as Error).message, /^Error decoding DER-encoded certificate: /, name);
      assert.match((error as Error).message, message, name);
    }
  }
});

test('empty bytes are read as an empty PEM file', () => {
  assert.throws(
    () => decodeCert(new Uint8Array(0)),
    (e: Error) => e.message === 'Error decoding PEM-encoded file',
  );
});

test('decodeCert of something neither a string nor bytes throws TypeError', () => {
  for (const value of [undefined, null, 42, {}, [1, 2]]) {
    throwsA(() => decodeCert(value as unknown as string), TypeError);
  }
});

test.run();
