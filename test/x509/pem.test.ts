import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsA } from '../helpers/assert-error.js';
import {
  derCertToPemCert,
  parseCertificates,
  pemBlocksToDer,
  pemCertToDerCert,
} from '../../src/x509/pem.js';
import { ValueError } from '../../src/errors/errors.js';
import { buildOpensslCorpus, removeCorpus, writeChainFile } from '../helpers/openssl-corpus.js';
import { python } from '../helpers/python.js';

const { dir, certs } = buildOpensslCorpus();
const pems = certs.map((c) => readFileSync(c.path, 'utf8'));

test.after(() => removeCorpus(dir));

/** For each PEM text: Python's DER (base64), and its PEM of that DER. */
const PY_ROUND_TRIP = `
import base64, json, ssl, sys
out = []
for pem in json.load(sys.stdin):
    der = ssl.PEM_cert_to_DER_cert(pem)
    out.append([base64.b64encode(der).decode(), ssl.DER_cert_to_PEM_cert(der)])
print(json.dumps(out))
`;

test('pemCertToDerCert and derCertToPemCert equal Python for every corpus certificate', () => {
  const expected = python<[string, string][]>(PY_ROUND_TRIP, pems);
  pems.forEach((pem, i) => {
    const der = pemCertToDerCert(pem);
    assert.ok(Buffer.isBuffer(der));
    assert.is(der.toString('base64'), expected[i]![0], certs[i]!.name);
    assert.is(derCertToPemCert(der), expected[i]![1], certs[i]!.name);
    assert.equal(pemCertToDerCert(derCertToPemCert(der)), der, 'der -> pem -> der');
    const plain = new Uint8Array(der.buffer, der.byteOffset, der.byteLength);
    assert.is(derCertToPemCert(plain), expected[i]![1], 'plain Uint8Array');
  });
});

/** Python's answer for each input: `ok:<base64>` or `<ExceptionName>: <message>`. */
const PY_TO_DER = `
import base64, json, ssl, sys
out = []
for pem in json.load(sys.stdin):
    try:
        out.append('ok:' + base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode())
    except ValueError as e:
        out.append('ValueError: %s' % e)
print(json.dumps(out))
`;

test('pemCertToDerCert accepts and rejects what Python does, with its messages', () => {
  const H = '-----BEGIN CERTIFICATE-----';
  const F = '-----END CERTIFICATE-----';
  const inputs = [
    '',
    'garbage',
    ` ${H}\nAAAA\n${F}\n`,
    `${H}\nAAAA\n`,
    `${H}\nAAAA\n${F}`,
    `${H}\nAAAA\n${F}\n\x1c\x85\u3000`,
    `${H}AAAA${F}`,
    `${H}\nAAA\n${F}\n`,
    `${H}\nAAAAA\n${F}\n`,
    `${H}\nAAAAAA==\n${F}\n`,
    `${H}\nAA=A=A\n${F}\n`,
    `${H}\nA=AAA\n${F}\n`,
    `${H}\nAB==CDEF\n${F}\n`,
    `${H}\nA!B@C#D$\n${F}\n`,
    `${H}\nAAAAé\n${F}\n`,
    `${H}\nAAAAéü\n${F}\n`,
    `${H}\nAA€A\n${F}\n`,
    `${H}\nAA😀A\n${F}\n`,
    `${H}\n${F}\n`,
    `${H}\n-----BEGIN CERTIFICATE-----\nAAAA\n${F}\n`,
    pems[0]!.replace(/\n/g, '\r\n'),
  ];
  const expected = python<string[]>(PY_TO_DER, inputs);
  inputs.forEach((input, i) => {
    let ours: string;
    try {
      ours = `ok:${pemCertToDerCert(input).toString('base64')}`;
    } catch (error) {
      assert.instance(error, ValueError, JSON.stringify(input));
      ours = `ValueError: ${(error as Error).message}`;
    }
    assert.is(ours, expected[i], JSON.stringify(input));
  });
});

test('PEM functions throw TypeError for arguments of the wrong type, as Python does', () => {
  throwsA(() => derCertToPemCert('text' as unknown as Uint8Array), TypeError);
  throwsA(() => pemCertToDerCert(Buffer.from('x') as unknown as string), TypeError);
  throwsA(() => parseCertificates(42 as unknown as string), TypeError);
});

test('derCertToPemCert of empty bytes gives an empty armour, as Python does', () => {
  assert.is(
    derCertToPemCert(new Uint8Array(0)),
    '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
  );
});

test('parseCertificates splits a chain file and ignores the text around blocks', () => {
  const chain = readFileSync(writeChainFile(dir, certs.slice(0, 6)));
  const expected = pems.slice(0, 6).map((p) => pemCertToDerCert(p));
  assert.equal(parseCertificates(chain), expected);
  assert.equal(parseCertificates(chain.toString('utf8')), expected);
});

test('parseCertificates skips key blocks, accepts X509 CERTIFICATE and one DER certificate', () => {
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const der = pemCertToDerCert(pems[1]!);
  const old = pems[2]!.replace(/CERTIFICATE/g, 'X509 CERTIFICATE');
  assert.equal(parseCertificates(key + pems[1]! + old), [der, pemCertToDerCert(pems[2]!)]);
  assert.equal(parseCertificates(der), [der]);
  assert.equal(parseCertificates(new Uint8Array(der)), [der]);
  assert.equal(parseCertificates('no certificates here'), []);
});

test('parseCertificates rejects a block without its end line or with broken base64', () => {
  const lines = pems[0]!.split('\n');
  assert.throws(
    () => parseCertificates(lines.slice(0, 3).join('\n')),
    (e: Error) => e instanceof ValueError,
  );
  const broken = [lines[0], '!!!!', lines.at(-2)].join('\n');
  assert.throws(() => pemBlocksToDer(broken), /not valid base64/);
});

test.run();
