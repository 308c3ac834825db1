import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCert } from '../../src/context/decode-cert.js';
import { pemCertToDerCert } from '../../src/context/pem.js';
import { SSLError } from '../../src/transport/errors.js';
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
    ['an empty SEQUENCE', Uint8Array.of(0x30, 0x00), /truncated DER in certificate: the identifier octet/],
    [
      'trailing element',
      Buffer.concat([der.subarray(0, 1), Buffer.of(der[1]!), der.subarray(2)]),
      /./,
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
    assert.throws(() => decodeCert(value as unknown as string), TypeError);
  }
});

test.run();
