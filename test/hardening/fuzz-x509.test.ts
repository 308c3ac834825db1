/**
 * Fuzzing the certificate toolkit (src/x509) with mutated real inputs: the x509-limbo corpus's
 * certificates (or this run's PKI where the corpus is absent), their PEM text, certificate times
 * and host names, with bytes flipped, truncated, DER lengths changed and nesting added or removed.
 * Every call returns or throws its documented typed error (decodeCert: SSLError, or ValueError where
 * Python's UnicodeDecodeError says a name is not UTF-8); on a fixed sample the outcome class
 * (and value) equals Python's. Seeds and runs: test/helpers/fuzz.ts.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { certTimeToSeconds } from '../../src/x509/cert-time.js';
import { decodeCert } from '../../src/x509/decode-cert.js';
import { matchHostname } from '../../src/x509/match-hostname.js';
import { derCertToPemCert, pemCertToDerCert } from '../../src/x509/pem.js';
import { fuzzParameters, mutateAll, mutationArbitrary, outcomeClass } from '../helpers/fuzz.js';
import { limboServerCases } from '../helpers/limbo.js';
import { makePki } from '../helpers/pki.js';
import { python } from '../helpers/python.js';

/** Real certificates (DER) to mutate. */
const seeds: Buffer[] = [];

test.before(async () => {
  const { runnable } = limboServerCases();
  for (const c of runnable.slice(0, 40)) seeds.push(pemCertToDerCert(c.peer_certificate.trim()));
  if (seeds.length === 0) {
    const pki = await makePki();
    seeds.push(pki.server.der, pki.ca.der, pki.serverRsa.der, pki.client.der);
    pki.remove();
  }
});

const mutations = fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 });
const seedIndex = () => fc.nat({ max: seeds.length - 1 });

/** Python's names for the same outcome: its CertificateError is SSLCertVerificationError. */
const allowed = (outcome: string, classes: string[]) => classes.includes(outcome);

test('decodeCert: mutated DER and PEM give a certificate or an SSLError', () => {
  fc.assert(
    fc.property(seedIndex(), mutations, fc.boolean(), (i, ms, asPem) => {
      const bytes = mutateAll(seeds[i]!, ms);
      const input = asPem ? derCertToPemCert(bytes) : bytes;
      const outcome = outcomeClass(() => decodeCert(input));
      return allowed(outcome, ['ok', 'SSLError', 'ValueError']);
    }),
    fuzzParameters(1500),
  );
});

test('PEM: mutated PEM text gives DER or a ValueError; any bytes survive DER -> PEM -> DER', () => {
  fc.assert(
    fc.property(seedIndex(), mutations, (i, ms) => {
      const text = Buffer.from(derCertToPemCert(seeds[i]!), 'latin1');
      const mutated = mutateAll(text, ms).toString('latin1');
      const outcome = outcomeClass(() => pemCertToDerCert(mutated));
      const decoded = outcomeClass(() => decodeCert(mutated));
      return (
        allowed(outcome, ['ok', 'ValueError']) && allowed(decoded, ['ok', 'SSLError', 'ValueError'])
      );
    }),
    fuzzParameters(1500),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) =>
      pemCertToDerCert(derCertToPemCert(bytes)).equals(Buffer.from(bytes)),
    ),
    fuzzParameters(500),
  );
});

const TIMES = ['Jan  5 09:34:43 2018 GMT', 'Dec 31 23:59:59 9999 GMT', 'Feb 29 00:00:00 2024 GMT'];
const timeArbitrary = fc
  .tuple(fc.constantFrom(...TIMES), mutations)
  .map(([time, ms]) => mutateAll(Buffer.from(time, 'latin1'), ms).toString('latin1'));

test('certTimeToSeconds: mutated times give seconds or a ValueError', () => {
  fc.assert(
    fc.property(timeArbitrary, (text) =>
      allowed(
        outcomeClass(() => certTimeToSeconds(text)),
        ['ok', 'ValueError'],
      ),
    ),
    fuzzParameters(2000),
  );
});

const HOSTS = [
  'localhost',
  'www.example.com',
  '*.example.com',
  '127.0.0.1',
  '::1',
  'xn--bcher-kva.example',
];
const hostArbitrary = fc.oneof(
  fc
    .tuple(fc.constantFrom(...HOSTS), mutations)
    .map(([host, ms]) => mutateAll(Buffer.from(host, 'latin1'), ms).toString('latin1')),
  fc.string({ maxLength: 40 }),
  fc.domain(),
);

test('matchHostname: any host name against real certificates matches or raises a typed error', () => {
  const certs = seeds.map((der) => decodeCert(der));
  fc.assert(
    fc.property(fc.nat({ max: certs.length - 1 }), hostArbitrary, (i, host) =>
      allowed(
        outcomeClass(() => matchHostname(certs[i], host)),
        ['ok', 'SSLCertVerificationError', 'ValueError', 'UnicodeError'],
      ),
    ),
    fuzzParameters(2000),
  );
});

interface Sample {
  decode: string[];
  times: string[];
  hosts: [number, string][];
}

test('a fixed sample ends as it does in Python', () => {
  const { seed } = fuzzParameters(0);
  const sample: Sample = {
    decode: fc
      .sample(fc.tuple(seedIndex(), mutations), { seed, numRuns: 150 })
      .map(([i, ms]) => derCertToPemCert(mutateAll(seeds[i]!, ms))),
    times: fc.sample(timeArbitrary, { seed, numRuns: 150 }),
    hosts: fc.sample(fc.tuple(seedIndex(), hostArbitrary), { seed, numRuns: 150 }),
  };
  const expected = python<{ decode: string[]; times: [string, number | null][]; hosts: string[] }>(
    PYTHON_SAMPLE,
    { ...sample, seeds: seeds.map((der) => derCertToPemCert(der)) },
  );
  const ours = {
    decode: sample.decode.map((pem) => outcomeClass(() => decodeCert(pem))),
    times: sample.times.map((text): [string, number | null] => {
      let value: number | null = null;
      const outcome = outcomeClass(() => {
        value = certTimeToSeconds(text);
      });
      return [outcome, value];
    }),
    hosts: sample.hosts.map(([i, host]) =>
      outcomeClass(() => matchHostname(decodeCert(seeds[i]!), host)),
    ),
  };
  assert.equal(ours.decode, expected.decode);
  assert.equal(ours.times, expected.times);
  assert.equal(ours.hosts, expected.hosts);
});

const PYTHON_SAMPLE = `
import json, os, ssl, sys, tempfile, warnings
warnings.simplefilter('ignore')
data = json.load(sys.stdin)
def cls(fn):
    try:
        fn()
        return 'ok'
    except UnicodeDecodeError:
        return 'ValueError'  # rxtls's ValueError is Python's UnicodeDecodeError (a ValueError)
    except Exception as e:
        return type(e).__name__
d = tempfile.mkdtemp()
path = os.path.join(d, 'c.pem')
def decode(pem):
    with open(path, 'w', encoding='latin-1') as f:
        f.write(pem)
    return ssl._ssl._test_decode_cert(path)
out = {'decode': [cls(lambda: decode(p)) for p in data['decode']], 'times': [], 'hosts': []}
for t in data['times']:
    try:
        out['times'].append(['ok', ssl.cert_time_to_seconds(t)])
    except Exception as e:
        out['times'].append([type(e).__name__, None])
certs = [decode(p) for p in data['seeds']]
for i, host in data['hosts']:
    out['hosts'].append(cls(lambda: ssl.match_hostname(certs[i], host)))
os.remove(path)
os.rmdir(d)
print(json.dumps(out))
`;

test.run();
