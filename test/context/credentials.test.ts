/**
 * loadCertChain's load-time checks and its one-chain-per-key-type rule, against python3's
 * `load_cert_chain` on the same files: each case is loaded into a fresh context by both, and the
 * outcome ('ok' or `str(error)` without its location) must be the same.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { SSLError } from '../../src/errors/errors.js';
import { usePki } from '../helpers/pki.js';
import { python } from '../helpers/python.js';

const pki = usePki(test);
let dir = '';

interface LoadCase {
  /** Files given to load_cert_chain, in order, each `[certfile, keyfile]`. */
  loads: Array<[string, string]>;
  /** A cipher string set before loading (its @SECLEVEL applies). */
  ciphers?: string;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 60_000 });
}

/** A self-signed certificate whose extensions are `extensions`, made with @peculiar/x509. */
async function withExtensions(name: string, extensions: x509.Extension[]): Promise<void> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=localhost',
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 86_400_000),
      keys,
      signingAlgorithm: alg,
      extensions,
    },
    webcrypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const body = pkcs8.toString('base64').replace(/.{64}/g, '$&\n');
  writeFileSync(join(dir, `${name}.pem`), `${cert.toString('pem')}\n`);
  writeFileSync(
    join(dir, `${name}.key`),
    `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
  );
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxtls-credentials-'));
  const days = ['-days', '2', '-nodes', '-subj'];
  // A 1024-bit RSA leaf: 80 bits of security, below level 2's 112.
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:1024',
    '-keyout',
    'small.key',
    '-out',
    'small.pem',
    ...days,
    '/CN=small',
  );
  // A 1024-bit RSA CA over a P-256 leaf: the chain file's CA is too small.
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:1024',
    '-keyout',
    'smallca.key',
    '-out',
    'smallca.pem',
    ...days,
    '/CN=small CA',
  );
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    ...days,
    '/CN=localhost',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'smallca.pem',
    '-CAkey',
    'smallca.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '2',
  );
  writeFileSync(
    join(dir, 'leaf-chain.pem'),
    readFileSync(join(dir, 'leaf.pem'), 'latin1') +
      readFileSync(join(dir, 'smallca.pem'), 'latin1'),
  );
  const san = new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }]);
  await withExtensions('duplicate', [san, san]);
  await withExtensions('bad-san', [
    new x509.Extension('2.5.29.17', false, Buffer.from([0x30, 0x03, 0x82, 0x05, 0x61])),
  ]);
  await withExtensions('bad-constraints', [
    new x509.Extension('2.5.29.19', true, Buffer.from([0x30, 0x03, 0x01, 0x01])),
  ]);
  // A chain cut in the middle of its second certificate, as a watcher may catch a file.
  const chain = pki.serverRsa.cert + pki.ca.cert;
  writeFileSync(join(dir, 'half-chain.pem'), chain.slice(0, pki.serverRsa.cert.length + 200));
  writeFileSync(join(dir, 'half-leaf.pem'), pki.serverRsa.cert.slice(0, 300));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string) =>
  name.startsWith('pki:') ? pki.path(name.slice(4)) : join(dir, name);

function rxtlsOutcome(c: LoadCase): string {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  if (c.ciphers) ctx.setCiphers(c.ciphers);
  try {
    for (const [cert, key] of c.loads) ctx.loadCertChain(file(cert), file(key));
    return 'ok';
  } catch (error) {
    assert.instance(error, SSLError);
    return (error as SSLError).message;
  }
}

const PYTHON_LOADS = `
import json, re, ssl, sys
out = []
for case in json.load(sys.stdin):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if case.get('ciphers'): ctx.set_ciphers(case['ciphers'])
    try:
        for cert, key in case['loads']: ctx.load_cert_chain(cert, key)
        out.append('ok')
    except ssl.SSLError as e:
        out.append(re.sub(r' \\(_ssl\\.c:\\d+\\)$', '', str(e)))
print(json.dumps(out))
`;

test("loadCertChain refuses at load time what Python's load_cert_chain refuses, with its error", () => {
  const cases: LoadCase[] = [
    { loads: [['small.pem', 'small.key']] },
    { loads: [['small.pem', 'small.key']], ciphers: 'DEFAULT:@SECLEVEL=0' },
    { loads: [['small.pem', 'small.key']], ciphers: 'DEFAULT:@SECLEVEL=1' },
    { loads: [['leaf-chain.pem', 'leaf.key']] },
    { loads: [['leaf.pem', 'leaf.key']] },
    { loads: [['duplicate.pem', 'duplicate.key']] },
    { loads: [['bad-san.pem', 'bad-san.key']] },
    { loads: [['bad-constraints.pem', 'bad-constraints.key']] },
    { loads: [['half-chain.pem', 'pki:serverRsa-key']] },
    { loads: [['half-leaf.pem', 'pki:serverRsa-key']] },
    { loads: [['pki:serverRsa', 'pki:server-key']] },
    { loads: [['pki:serverRsa', 'pki:serverRsa-key']] },
  ];
  const expected = python<string[]>(
    PYTHON_LOADS,
    cases.map((c) => ({ ...c, loads: c.loads.map(([cert, key]) => [file(cert), file(key)]) })),
  );
  assert.ok(expected.includes('[SSL: EE_KEY_TOO_SMALL] ee key too small'), String(expected));
  assert.ok(expected.includes('[SSL: CA_KEY_TOO_SMALL] ca key too small'), String(expected));
  assert.ok(expected.includes('[X509V3: INVALID_CERTIFICATE] invalid certificate'));
  assert.equal(cases.map(rxtlsOutcome), expected);
});

test('a refused load leaves the chains already loaded in place', () => {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  ctx.loadCertChain(pki.path('server'), pki.path('server-key'));
  assert.throws(() => ctx.loadCertChain(file('small.pem'), file('small.key')));
  assert.equal(
    ctx.credentials.map((c) => c.leaf.raw),
    [pki.server.der],
  );
});

test('one chain per key type: the same type replaces, another type is kept beside it', () => {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  ctx.loadCertChain(pki.path('serverRsa'), pki.path('serverRsa-key'));
  ctx.loadCertChain(pki.path('server'), pki.path('server-key'));
  assert.equal(
    ctx.credentials.map((c) => [c.keyType, c.leaf.raw]),
    [
      ['rsa', pki.serverRsa.der],
      ['ec', pki.server.der],
    ],
  );
  ctx.loadCertChain(pki.path('alt'), pki.path('alt-key'));
  assert.equal(
    ctx.credentials.map((c) => [c.keyType, c.leaf.raw]),
    [
      ['rsa', pki.serverRsa.der],
      ['ec', pki.alt.der],
    ],
  );
});

test.run();
