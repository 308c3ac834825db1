import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type CertificateAndKey,
  CLOCK_SKEW_ALLOWANCE_MS,
  createCertificateAuthority,
  createSelfSignedCertificate,
  DEFAULT_CA_VALIDITY_DAYS,
  DEFAULT_LEAF_VALIDITY_DAYS,
  issueCertificate,
} from '../../src/x509/cert-factory.js';
import { parseSubjectAltNames } from '../../src/x509/general-names.js';
import type { DecodedCert } from '../../src/x509/decoded-cert.js';
import { ValueError } from '../../src/errors/errors.js';
import { python } from '../helpers/python.js';

const dir = mkdtempSync(join(tmpdir(), 'rxtls-cert-factory-'));
const DAY_MS = 24 * 60 * 60 * 1000;

/** Writes a certificate and key as NAME.pem and NAME-key.pem; returns both paths. */
function save(name: string, pair: CertificateAndKey) {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  writeFileSync(cert, pair.cert);
  writeFileSync(key, pair.key);
  return { cert, key };
}

function openssl(...args: string[]) {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, out: run.stdout + run.stderr };
}

function opensslText(path: string): string {
  const { status, out } = openssl('x509', '-noout', '-text', '-in', path);
  assert.is(status, 0, out);
  return out;
}

function decode(...paths: string[]): DecodedCert[] {
  return python(
    'import json, ssl, sys\nprint(json.dumps([ssl._ssl._test_decode_cert(p) for p in json.load(sys.stdin)]))',
    paths,
  );
}

interface Handshake {
  cert: string;
  key: string;
  cafile: string;
  hostname: string;
  serverCafile?: string;
  clientCert?: string;
  clientKey?: string;
}

/**
 * Python's ssl on both ends over MemoryBIOs: the server loads cert+key, the client is
 * create_default_context(cafile) with hostname checking; optionally the server requires a client
 * certificate. Returns per case {ok, version} or {ok: false, error: str(e)}.
 */
const HANDSHAKE = `
import json, ssl, sys
def handshake(a):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(a['cert'], a['key'])
    if a.get('serverCafile'):
        server.verify_mode = ssl.CERT_REQUIRED
        server.load_verify_locations(a['serverCafile'])
    client = ssl.create_default_context(cafile=a['cafile'])
    if a.get('clientCert'):
        client.load_cert_chain(a['clientCert'], a['clientKey'])
    bios = [ssl.MemoryBIO() for _ in range(4)]
    s = server.wrap_bio(bios[0], bios[1], server_side=True)
    c = client.wrap_bio(bios[2], bios[3], server_hostname=a['hostname'])
    done = {'s': False, 'c': False}
    try:
        for _ in range(20):
            for name, obj in (('c', c), ('s', s)):
                if not done[name]:
                    try:
                        obj.do_handshake(); done[name] = True
                    except ssl.SSLWantReadError:
                        pass
            bios[0].write(bios[3].read()); bios[2].write(bios[1].read())
            if done['s'] and done['c']:
                # TLS 1.3: the server judges the client certificate on its first read.
                c.write(b'ping'); bios[0].write(bios[3].read())
                return {'ok': True, 'version': c.version(), 'data': s.read(4).decode()}
        return {'ok': False, 'error': 'handshake did not finish'}
    except ssl.SSLError as e:
        return {'ok': False, 'error': str(e)}
print(json.dumps([handshake(a) for a in json.load(sys.stdin)]))
`;

function handshakes(cases: Handshake[]) {
  return python<{ ok: boolean; version?: string; data?: string; error?: string }[]>(
    HANDSHAKE,
    cases,
  );
}

async function rejects(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  message: string | RegExp,
) {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, type);
    const text = (error as Error).message;
    if (typeof message === 'string') assert.is(text, message);
    else assert.match(text, message);
    return;
  }
  assert.unreachable(`expected ${type.name}: ${message}`);
}

// Shared fixtures: one EC CA and a leaf it issued for loopback names.
const ca = await createCertificateAuthority({ subject: 'CN=rxtls Test CA, O=rxtls' });
const caFiles = save('ca', ca);
const leaf = await issueCertificate(ca, {
  subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
});
const leafFiles = save('leaf', leaf);

test('a CA is EC P-256 with critical CA:TRUE and keyCertSign+cRLSign, and a PKCS#8 key', () => {
  const text = opensslText(caFiles.cert);
  assert.match(text, 'Signature Algorithm: ecdsa-with-SHA256');
  assert.match(text, 'NIST CURVE: P-256');
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
  assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
  assert.match(text, 'X509v3 Subject Key Identifier');
  assert.ok(ca.key.startsWith('-----BEGIN PRIVATE KEY-----\n'), ca.key);
  assert.ok(ca.cert.startsWith('-----BEGIN CERTIFICATE-----\n'), ca.cert);
  assert.is(createPrivateKey(ca.key).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const [decoded] = decode(caFiles.cert);
  assert.equal(decoded!.subject, [
    [['commonName', 'rxtls Test CA']],
    [['organizationName', 'rxtls']],
  ]);
  assert.equal(decoded!.issuer, decoded!.subject);
});

test('default serial numbers are 16 random octets with the top bit clear', async () => {
  const other = save('serial', await createSelfSignedCertificate());
  const serials = decode(caFiles.cert, leafFiles.cert, other.cert).map((c) => c.serialNumber!);
  for (const serial of serials) {
    assert.is(serial.length, 32, serial);
    assert.ok(Number.parseInt(serial[0]!, 16) < 8, serial);
  }
  assert.is(new Set(serials).size, 3);
});

test('an issued leaf verifies against its CA with CA:FALSE, digitalSignature and both TLS purposes', () => {
  const { status, out } = openssl('verify', '-CAfile', caFiles.cert, leafFiles.cert);
  assert.is(status, 0, out);
  assert.match(out, `${leafFiles.cert}: OK`);
  const text = opensslText(leafFiles.cert);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE\n/);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assert.match(
    text,
    /X509v3 Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication\n/,
  );
  const caKeyId = /Subject Key Identifier: \s+(\S+)/.exec(opensslText(caFiles.cert))![1];
  assert.match(text, new RegExp(`Authority Key Identifier: \\s+(keyid:)?${caKeyId}`));
  const [decoded] = decode(leafFiles.cert);
  assert.equal(decoded!.subject, [[['commonName', 'localhost']]]);
  assert.equal(decoded!.issuer, [
    [['commonName', 'rxtls Test CA']],
    [['organizationName', 'rxtls']],
  ]);
});

test('Python handshakes with an issued leaf for localhost, 127.0.0.1 and ::1, not for other names', () => {
  const base = { ...leafFiles, cafile: caFiles.cert };
  const results = handshakes(
    ['localhost', '127.0.0.1', '::1', 'example.org', '127.0.0.2'].map((hostname) => ({
      ...base,
      hostname,
    })),
  );
  for (const result of results.slice(0, 3))
    assert.equal(result, { ok: true, version: 'TLSv1.3', data: 'ping' });
  assert.match(
    results[3]!.error!,
    "Hostname mismatch, certificate is not valid for 'example.org'.",
  );
  assert.match(
    results[4]!.error!,
    "IP address mismatch, certificate is not valid for '127.0.0.2'.",
  );
});

test('a Python server accepts a clientAuth client certificate and refuses a serverAuth-only one', async () => {
  const serverOnly = save(
    'server-only',
    await issueCertificate(ca, { subject: 'CN=client', extendedKeyUsage: ['serverAuth'] }),
  );
  const base = {
    ...leafFiles,
    cafile: caFiles.cert,
    hostname: 'localhost',
    serverCafile: caFiles.cert,
  };
  const [accepted, refused] = handshakes([
    { ...base, clientCert: leafFiles.cert, clientKey: leafFiles.key },
    { ...base, clientCert: serverOnly.cert, clientKey: serverOnly.key },
  ]);
  assert.equal(accepted, { ok: true, version: 'TLSv1.3', data: 'ping' });
  assert.match(refused!.error!, 'CERTIFICATE_VERIFY_FAILED');
  assert.match(refused!.error!, 'certificate verify failed: unsuitable certificate purpose');
});

test('subjectAltNames of every kind are written as OpenSSL and Python read them', async () => {
  const files = save(
    'all-sans',
    await issueCertificate(ca, {
      subject: { commonName: 'all kinds' },
      subjectAltNames: {
        dns: ['localhost', '*.example.test'],
        ip: ['127.0.0.1', '::1', '2001:db8::8:800:200c:417a', '::ffff:192.0.2.1'],
        email: ['ops@example.test'],
        uri: ['spiffe://example.test/service'],
        dirName: ['/CN=Directory/O=Example', { organizationName: 'Nested', countryName: 'DE' }],
        registeredId: ['1.2.3.4.5'],
        otherName: [
          { oid: '1.3.6.1.4.1.99999.1', value: 'text' },
          { oid: '1.3.6.1.4.1.99999.2', value: Uint8Array.of(0x02, 0x01, 0x05) },
        ],
        upn: ['user@example.test'],
      },
    }),
  );
  assert.is(openssl('verify', '-CAfile', caFiles.cert, files.cert).status, 0);
  const text = opensslText(files.cert);
  assert.match(text, 'othername: UPN::user@example.test');
  assert.match(text, 'othername: 1.3.6.1.4.1.99999.1::text');
  const [decoded] = decode(files.cert);
  assert.equal(decoded!.subjectAltName, [
    ['DNS', 'localhost'],
    ['DNS', '*.example.test'],
    ['IP Address', '127.0.0.1'],
    ['IP Address', '0:0:0:0:0:0:0:1'],
    ['IP Address', '2001:DB8:0:0:8:800:200C:417A'],
    ['IP Address', '0:0:0:0:0:FFFF:C000:201'],
    ['email', 'ops@example.test'],
    ['URI', 'spiffe://example.test/service'],
    ['DirName', [[['commonName', 'Directory']], [['organizationName', 'Example']]]],
    ['DirName', [[['organizationName', 'Nested']], [['countryName', 'DE']]]],
    ['Registered ID', '1.2.3.4.5'],
    ['othername', '<unsupported>'],
    ['othername', '<unsupported>'],
    ['othername', 'UPN:user@example.test'],
  ]);
});

test('a list of subjectAltName entries keeps its order, and the CN defaults to the first name', async () => {
  const files = save(
    'ordered',
    await createSelfSignedCertificate({
      subjectAltNames: [
        { type: 'ip', value: '10.0.0.1' },
        { type: 'dns', value: 'b.test' },
        { type: 'email', value: 'a@b.test' },
      ],
    }),
  );
  const [decoded] = decode(files.cert);
  assert.equal(decoded!.subject, [[['commonName', '10.0.0.1']]]);
  const none = save('no-sans', await createSelfSignedCertificate({ subjectAltNames: { dns: [] } }));
  assert.not.match(opensslText(none.cert), 'Subject Alternative Name');
  assert.equal(decoded!.subjectAltName, [
    ['IP Address', '10.0.0.1'],
    ['DNS', 'b.test'],
    ['email', 'a@b.test'],
  ]);
});

test('parseSubjectAltNames reads OpenSSL syntax and validates every entry', () => {
  assert.equal(
    parseSubjectAltNames(
      'DNS:a.test, IP:::1,email:x@y.test,URI:https://x.test/,RID:1.2.3,dirName:/CN=d,otherName:1.2.3.4;UTF8:v,UPN:u@d.test,',
    ),
    [
      { type: 'dns', value: 'a.test' },
      { type: 'ip', value: '::1' },
      { type: 'email', value: 'x@y.test' },
      { type: 'uri', value: 'https://x.test/' },
      { type: 'registeredId', value: '1.2.3' },
      { type: 'dirName', value: '/CN=d' },
      { type: 'otherName', value: { oid: '1.2.3.4', value: 'v' } },
      { type: 'upn', value: 'u@d.test' },
    ],
  );
  assert.throws(() => parseSubjectAltNames('FOO:x'), /must start with DNS:, IP:/);
  assert.throws(() => parseSubjectAltNames('localhost'), /must start with DNS:, IP:/);
  assert.throws(() => parseSubjectAltNames('otherName:1.2.3'), /must be OID;UTF8:text/);
  assert.throws(
    () => parseSubjectAltNames('IP:nope'),
    (e: Error) =>
      e instanceof ValueError &&
      e.message === "'nope' does not appear to be an IPv4 or IPv6 address",
  );
});

test('subjects as a string, slash form, object and pairs encode the same attributes in order', async () => {
  const expected = [
    [['commonName', 'example.test']],
    [['organizationName', 'Example, Inc.']],
    [['organizationalUnitName', 'Ops']],
    [['countryName', 'DE']],
    [['stateOrProvinceName', 'Berlin']],
    [['localityName', 'Berlin']],
    [['emailAddress', 'ops@example.test']],
    [['serialNumber', '1234']],
  ];
  const forms = [
    'CN=example.test, O=Example\\, Inc., OU=Ops, C=DE, ST=Berlin, L=Berlin, emailAddress=ops@example.test, serialNumber=1234',
    '/CN=example.test/O=Example, Inc./OU=Ops/C=DE/ST=Berlin/L=Berlin/E=ops@example.test/serialNumber=1234',
    {
      commonName: 'example.test',
      organizationName: 'Example, Inc.',
      organizationalUnitName: ['Ops'],
      countryName: 'DE',
      stateOrProvinceName: 'Berlin',
      localityName: 'Berlin',
      emailAddress: 'ops@example.test',
      serialNumber: '1234',
    },
    [
      ['commonName', 'example.test'],
      ['O', 'Example, Inc.'],
      ['2.5.4.11', 'Ops'],
      ['C', 'DE'],
      ['ST', 'Berlin'],
      ['localityName', 'Berlin'],
      ['emailAddress', 'ops@example.test'],
      ['serialNumber', '1234'],
    ] as const,
  ];
  const paths = [];
  for (const [i, subject] of forms.entries()) {
    paths.push(save(`subject-${i}`, await createSelfSignedCertificate({ subject })).cert);
  }
  for (const decoded of decode(...paths)) assert.equal(decoded.subject, expected);
  const multi = save(
    'multi-rdn',
    await createSelfSignedCertificate({ subject: 'CN=a+O=b, 2.5.4.97=x' }),
  );
  assert.equal(decode(multi.cert)[0]!.subject, [
    [
      ['commonName', 'a'],
      ['organizationName', 'b'],
    ],
    [['organizationIdentifier', 'x']],
  ]);
});

test('a self-signed leaf is trusted as its own CA file and rejected by an unrelated CA', async () => {
  const self = save(
    'self',
    await createSelfSignedCertificate({
      subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    }),
  );
  assert.match(opensslText(self.cert), /CA:FALSE/);
  assert.is(openssl('verify', '-CAfile', self.cert, self.cert).status, 0);
  const unrelated = openssl('verify', '-CAfile', caFiles.cert, self.cert);
  assert.is.not(unrelated.status, 0);
  assert.match(unrelated.out, 'self-signed certificate');
  const [own, foreign] = handshakes([
    { ...self, cafile: self.cert, hostname: '127.0.0.1' },
    { ...self, cafile: caFiles.cert, hostname: 'localhost' },
  ]);
  assert.equal(own, { ok: true, version: 'TLSv1.3', data: 'ping' });
  assert.match(foreign!.error!, 'certificate verify failed: self-signed certificate');
});

test('an RSA 2048 CA issues an RSA 3072 leaf that OpenSSL and Python accept', async () => {
  const rsaCa = await createCertificateAuthority({ subject: 'CN=RSA CA', keyType: 'rsa' });
  const rsaLeaf = await issueCertificate(rsaCa, {
    keyType: 'rsa',
    rsaBits: 3072,
    subjectAltNames: { dns: ['localhost'] },
  });
  const caPaths = save('rsa-ca', rsaCa);
  const leafPaths = save('rsa-leaf', rsaLeaf);
  assert.ok(rsaLeaf.key.startsWith('-----BEGIN PRIVATE KEY-----\n'));
  const caText = opensslText(caPaths.cert);
  assert.match(caText, 'Signature Algorithm: sha256WithRSAEncryption');
  assert.match(caText, 'Public-Key: (2048 bit)');
  const leafText = opensslText(leafPaths.cert);
  assert.match(leafText, 'Signature Algorithm: sha256WithRSAEncryption');
  assert.match(leafText, 'Public-Key: (3072 bit)');
  assert.match(leafText, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  assert.is(openssl('verify', '-CAfile', caPaths.cert, leafPaths.cert).status, 0);
  const [result] = handshakes([{ ...leafPaths, cafile: caPaths.cert, hostname: 'localhost' }]);
  assert.equal(result, { ok: true, version: 'TLSv1.3', data: 'ping' });
  // An EC leaf under the RSA CA: the signature follows the CA's key.
  const mixed = save(
    'mixed',
    await issueCertificate(rsaCa, { subjectAltNames: { dns: ['x.test'] } }),
  );
  assert.match(opensslText(mixed.cert), 'Signature Algorithm: sha256WithRSAEncryption');
  assert.is(openssl('verify', '-CAfile', caPaths.cert, mixed.cert).status, 0);
});

test('explicit notBefore and notAfter are written to the second', async () => {
  const notBefore = new Date('2030-01-05T09:04:43.789Z');
  const notAfter = new Date('2051-11-23T23:59:59.001Z');
  const files = save('window', await issueCertificate(ca, { notBefore, notAfter }));
  const [decoded] = decode(files.cert);
  assert.is(decoded!.notBefore, 'Jan  5 09:04:43 2030 GMT');
  assert.is(decoded!.notAfter, 'Nov 23 23:59:59 2051 GMT');
  const counted = save('counted', await issueCertificate(ca, { notBefore, validityDays: 10 }));
  assert.is(decode(counted.cert)[0]!.notAfter, 'Jan 15 09:04:43 2030 GMT');
  const future = openssl('verify', '-CAfile', caFiles.cert, files.cert);
  assert.is.not(future.status, 0);
  assert.match(future.out, 'certificate is not yet valid');
});

test('default validity starts the clock-skew allowance ago: 365 days for leaves, 3650 for CAs', async () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const fresh = await createCertificateAuthority();
  const after = Date.now();
  const caCert = new X509Certificate(fresh.cert);
  const leafCert = new X509Certificate(leaf.cert);
  const notBefore = Date.parse(caCert.validFrom);
  assert.ok(
    notBefore >= before - CLOCK_SKEW_ALLOWANCE_MS && notBefore <= after - CLOCK_SKEW_ALLOWANCE_MS,
  );
  const caDays = (Date.parse(caCert.validTo) - notBefore - CLOCK_SKEW_ALLOWANCE_MS) / DAY_MS;
  assert.ok(Math.abs(caDays - DEFAULT_CA_VALIDITY_DAYS) < 1 / 24, String(caDays));
  const leafDays =
    (Date.parse(leafCert.validTo) - Date.parse(leafCert.validFrom) - CLOCK_SKEW_ALLOWANCE_MS) /
    DAY_MS;
  assert.ok(Math.abs(leafDays - DEFAULT_LEAF_VALIDITY_DAYS) < 1 / 24, String(leafDays));
});

test('an expired certificate is refused by openssl and Python with "certificate has expired"', async () => {
  const expired = save(
    'expired',
    await issueCertificate(ca, {
      subjectAltNames: { dns: ['localhost'] },
      notBefore: new Date(Date.now() - 10 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    }),
  );
  const result = openssl('verify', '-CAfile', caFiles.cert, expired.cert);
  assert.is.not(result.status, 0);
  assert.match(result.out, 'certificate has expired');
  const [handshake] = handshakes([{ ...expired, cafile: caFiles.cert, hostname: 'localhost' }]);
  assert.match(handshake!.error!, 'certificate verify failed: certificate has expired');
});

test('serial numbers, key usages and extended key usages can be chosen', async () => {
  const files = save(
    'chosen',
    await issueCertificate(ca, {
      serialNumber: '0abc',
      keyUsage: ['digitalSignature', 'keyAgreement'],
      extendedKeyUsage: ['codeSigning', '1.3.6.1.5.5.7.3.9'],
    }),
  );
  const text = opensslText(files.cert);
  assert.match(text, /Key Usage: critical\s+Digital Signature, Key Agreement\n/);
  assert.match(text, /Extended Key Usage: \s+Code Signing, OCSP Signing\n/);
  const bare = save(
    'bare',
    await issueCertificate(ca, { serialNumber: 0xff_ffn, extendedKeyUsage: [] }),
  );
  assert.not.match(opensslText(bare.cert), 'Extended Key Usage');
  assert.equal(
    decode(files.cert, bare.cert).map((c) => c.serialNumber),
    ['0ABC', 'FFFF'],
  );
});

test('a CA made by openssl with a P-384 SEC1 key issues leaves that verify', async () => {
  const key = join(dir, 'openssl-ca-key.pem');
  const cert = join(dir, 'openssl-ca.pem');
  assert.is(openssl('ecparam', '-genkey', '-name', 'secp384r1', '-noout', '-out', key).status, 0);
  const made = openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    '/CN=OpenSSL CA',
    '-days',
    '2',
    '-out',
    cert,
  );
  assert.is(made.status, 0, made.out);
  assert.match(readFileSync(key, 'utf8'), '-----BEGIN EC PRIVATE KEY-----');
  const issued = save(
    'from-openssl',
    await issueCertificate(
      { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') },
      { subjectAltNames: { dns: ['localhost'] } },
    ),
  );
  assert.is(openssl('verify', '-CAfile', cert, issued.cert).status, 0);
  assert.equal(decode(issued.cert)[0]!.issuer, [[['commonName', 'OpenSSL CA']]]);
  const [result] = handshakes([{ ...issued, cafile: cert, hostname: 'localhost' }]);
  assert.equal(result, { ok: true, version: 'TLSv1.3', data: 'ping' });
});

test('an intermediate CA chains to its root, and a pathLength 0 CA cannot sign another CA', async () => {
  const root = await createCertificateAuthority({ subject: 'CN=Root', pathLength: 1 });
  const intermediate = await createCertificateAuthority({
    subject: 'CN=Intermediate',
    issuer: root,
    pathLength: 0,
  });
  const chained = await issueCertificate(intermediate, { subjectAltNames: { dns: ['localhost'] } });
  const rootPath = save('root', root).cert;
  const interPath = save('intermediate', intermediate).cert;
  const leafPath = save('chained', chained).cert;
  assert.match(opensslText(interPath), /CA:TRUE, pathlen:0/);
  const ok = openssl('verify', '-CAfile', rootPath, '-untrusted', interPath, leafPath);
  assert.is(ok.status, 0, ok.out);
  assert.is.not(openssl('verify', '-CAfile', rootPath, leafPath).status, 0);
  await rejects(
    createCertificateAuthority({ issuer: intermediate }),
    ValueError,
    'the issuing CA has pathLength 0: it may not sign another CA',
  );
});

test('invalid names and options throw ValueError or TypeError naming the problem', async () => {
  const ip = (value: string) => createSelfSignedCertificate({ subjectAltNames: { ip: [value] } });
  await rejects(
    ip('999.1.1.1'),
    ValueError,
    "'999.1.1.1' does not appear to be an IPv4 or IPv6 address",
  );
  await rejects(ip('fe80::1%eth0'), ValueError, /does not appear to be an IPv4 or IPv6 address/);
  await rejects(ip('10.0.0.0/8'), ValueError, /does not appear to be an IPv4 or IPv6 address/);
  const san = (names: object) => createSelfSignedCertificate({ subjectAltNames: names });
  await rejects(
    san({ dns: ['a b.test'] }),
    ValueError,
    /DNS subjectAltName must be non-empty printable ASCII/,
  );
  await rejects(san({ dns: ['exämple.test'] }), ValueError, /DNS subjectAltName/);
  await rejects(
    san({ uri: ['no-scheme'] }),
    ValueError,
    'URI subjectAltName must be absolute, got "no-scheme"',
  );
  await rejects(san({ registeredId: ['1'] }), ValueError, '"1" is not a dotted object identifier');
  await rejects(
    san({ otherName: [{ oid: '3.1', value: 'x' }] }),
    ValueError,
    /not a dotted object identifier/,
  );
  await rejects(san({ web: ['x'] }), ValueError, 'unknown subjectAltName type "web"');
  await rejects(san({ dns: 'x' }), TypeError, 'subjectAltNames.dns must be an array, not string');
  await rejects(
    san([{ type: 'web', value: 'x' }]),
    ValueError,
    'unknown subjectAltName type "web"',
  );
  await rejects(
    createSelfSignedCertificate({ subjectAltNames: 'DNS:x' as never }),
    TypeError,
    /subjectAltNames must be/,
  );

  const subject = (value: unknown) => createSelfSignedCertificate({ subject: value as never });
  for (const empty of ['', ' ', {}, []]) {
    await rejects(subject(empty), ValueError, 'subject must name at least one attribute');
  }
  await rejects(subject('XX=1'), ValueError, 'unknown subject attribute "XX"');
  await rejects(subject('CN'), ValueError, 'subject "CN": expected NAME=VALUE, got "CN"');
  await rejects(subject('CN=a,'), ValueError, /expected NAME=VALUE, got ""/);
  await rejects(subject('CN='), ValueError, 'subject attribute CN must not be empty');
  await rejects(
    subject({ countryName: 'USA' }),
    ValueError,
    /countryName must be a two-letter code/,
  );
  await rejects(subject('serialNumber=a_b'), ValueError, /must be a PrintableString/);
  await rejects(subject('E=ü@x.test'), ValueError, /must be ASCII/);
  await rejects(
    subject({ commonName: 5 }),
    TypeError,
    'subject attribute commonName must be a string, not number',
  );
  await rejects(subject([['CN']]), TypeError, /each subject pair must be a \[name, value\] array/);
  await rejects(subject(42), TypeError, /subject must be a string, an object or an array/);
  await rejects(
    createSelfSignedCertificate({ subjectAltNames: { dirName: ['Nope'] } }),
    ValueError,
    'dirName "Nope": expected NAME=VALUE, got "Nope"',
  );

  const now = new Date();
  await rejects(
    createSelfSignedCertificate({ notBefore: now, notAfter: new Date(now.getTime() - 1000) }),
    ValueError,
    /^notAfter \(.*\) must be later than notBefore \(.*\)$/,
  );
  await rejects(
    createSelfSignedCertificate({ notAfter: now, validityDays: 3 }),
    ValueError,
    'give notAfter or validityDays, not both',
  );
  await rejects(
    createSelfSignedCertificate({ validityDays: 0 }),
    ValueError,
    'validityDays must be a positive number, got 0',
  );
  await rejects(
    createSelfSignedCertificate({ validityDays: '3' as never }),
    TypeError,
    'validityDays must be a number, not string',
  );
  await rejects(
    createSelfSignedCertificate({ notBefore: 'today' as never }),
    TypeError,
    'notBefore must be a Date, not string',
  );
  await rejects(
    createSelfSignedCertificate({ notAfter: new Date('x') }),
    ValueError,
    'notAfter is an invalid Date',
  );
  for (const serialNumber of ['xyz', '0', '00', 'ff'.repeat(20), 0n]) {
    await rejects(
      createSelfSignedCertificate({ serialNumber }),
      ValueError,
      /serialNumber must be a positive integer/,
    );
  }
  await rejects(
    createSelfSignedCertificate({ serialNumber: 1.5 as never }),
    TypeError,
    'serialNumber must be a hex string or a bigint, not number',
  );
  await rejects(
    createSelfSignedCertificate({ keyType: 'rsa', rsaBits: 1024 as never }),
    ValueError,
    'rsaBits must be one of 2048, 3072, 4096, got 1024',
  );
  await rejects(
    createSelfSignedCertificate({ keyType: 'dsa' as never }),
    TypeError,
    "keyType must be 'ec' or 'rsa', not string",
  );
  await rejects(
    createSelfSignedCertificate({ keyUsage: ['everything' as never] }),
    ValueError,
    'unknown keyUsage "everything"',
  );
  await rejects(
    createSelfSignedCertificate({ extendedKeyUsage: ['bogus'] }),
    ValueError,
    'unknown extendedKeyUsage "bogus"',
  );
  await rejects(
    createCertificateAuthority({ pathLength: -1 }),
    ValueError,
    'pathLength must be a non-negative integer, got -1',
  );
});

test('a CA argument that is not a CA, or whose key does not match, is refused', async () => {
  const other = await createCertificateAuthority();
  await rejects(
    issueCertificate(leaf),
    ValueError,
    "certificate 'CN=localhost' is not a CA (no basicConstraints CA:TRUE)",
  );
  await rejects(
    issueCertificate({ cert: ca.cert, key: other.key }),
    ValueError,
    "CA key does not match the CA certificate 'CN=rxtls Test CA, O=rxtls'",
  );
  await rejects(
    issueCertificate({ cert: 'garbage', key: ca.key }),
    ValueError,
    'CA certificate is not a PEM certificate',
  );
  await rejects(
    issueCertificate({ cert: ca.cert, key: 'garbage' }),
    ValueError,
    'CA key is not an unencrypted PEM private key',
  );
  await rejects(
    issueCertificate({ cert: ca.cert, key: 7 as never }),
    TypeError,
    'CA key must be a PEM string, not number',
  );
  await rejects(
    issueCertificate({ cert: 7 as never, key: ca.key }),
    TypeError,
    'ca.cert must be a PEM string, not number',
  );
  await rejects(
    issueCertificate(null as never),
    TypeError,
    'ca must be a { cert, key } object, not null',
  );
  const ed = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  await rejects(
    issueCertificate({ cert: ca.cert, key: ed }),
    ValueError,
    'CA key has unsupported key type ed25519; use an EC or RSA key',
  );
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  await rejects(
    issueCertificate({ cert: ca.cert, key: k1 }),
    ValueError,
    'CA key uses unsupported curve secp256k1',
  );
  // A CA:TRUE certificate whose keyUsage lacks keyCertSign.
  const key = join(dir, 'no-certsign-key.pem');
  const cert = join(dir, 'no-certsign.pem');
  const made = openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-subj',
    '/CN=No Sign',
    '-days',
    '2',
    '-addext',
    'keyUsage=critical,digitalSignature',
    '-out',
    cert,
  );
  assert.is(made.status, 0, made.out);
  await rejects(
    issueCertificate({ cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') }),
    ValueError,
    "CA 'CN=No Sign' may not sign certificates (no keyUsage keyCertSign)",
  );
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
