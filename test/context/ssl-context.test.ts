import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDefaultContext } from '../../src/context/default-context.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  PROTOCOL_TLS,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  PROTOCOL_TLSv1_2,
  Purpose,
  TLSVersion,
} from '../../src/constants/ssl-constants.js';
import {
  NotImplementedError,
  SSLError,
  UnicodeError,
  ValueError,
} from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import { throwsA } from '../helpers/assert-error.js';
import { usePki } from '../helpers/pki.js';
import { handshake, send } from '../helpers/pump.js';
import { python } from '../helpers/python.js';

const pki = usePki(test);

test('defaults equal Python 3.11 for PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER and PROTOCOL_TLS', () => {
  const py = python<Record<string, unknown[]>>(`
import ssl, json, warnings
warnings.simplefilter('ignore')
out = {}
for name in ('PROTOCOL_TLS_CLIENT', 'PROTOCOL_TLS_SERVER', 'PROTOCOL_TLS'):
    c = ssl.SSLContext(getattr(ssl, name))
    out[name] = [int(c.verify_mode), c.check_hostname, c.options, int(c.verify_flags),
                 int(c.minimum_version), int(c.maximum_version), c.num_tickets, c.security_level,
                 c.hostname_checks_common_name, c.session_stats()]
print(json.dumps(out))`);
  for (const [name, protocol] of [
    ['PROTOCOL_TLS_CLIENT', PROTOCOL_TLS_CLIENT],
    ['PROTOCOL_TLS_SERVER', PROTOCOL_TLS_SERVER],
    ['PROTOCOL_TLS', PROTOCOL_TLS],
  ] as const) {
    const c = new SSLContext(protocol);
    const ours = [
      c.verifyMode,
      c.checkHostname,
      c.options,
      c.verifyFlags,
      c.minimumVersion,
      c.maximumVersion,
      c.numTickets,
      c.securityLevel,
      c.hostnameChecksCommonName,
      c.sessionStats(),
    ];
    assert.equal(ours, py[name], name);
    assert.is(c.protocol, protocol);
  }
});

test('checkHostname and verifyMode are coupled as in Python', () => {
  const c = new SSLContext(PROTOCOL_TLS_CLIENT);
  throwsA(
    () => {
      c.verifyMode = CERT_NONE;
    },
    ValueError,
    'Cannot set verify_mode to CERT_NONE when check_hostname is enabled.',
  );
  c.checkHostname = false;
  c.verifyMode = CERT_NONE;
  assert.is(c.verifyMode, CERT_NONE);
  c.checkHostname = true;
  assert.is(c.verifyMode, CERT_REQUIRED, 'turning checkHostname on requires certificates');
  c.verifyMode = CERT_OPTIONAL;
  assert.is(c.verifyMode, CERT_OPTIONAL);
  throwsA(() => {
    c.verifyMode = 7 as never;
  }, ValueError);
});

test('version, ticket and callback setters reject what Python rejects, with its messages', () => {
  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  throwsA(
    () => {
      client.numTickets = 3;
    },
    ValueError,
    'SSLContext is not a server context.',
  );
  throwsA(
    () => {
      client.sniCallback = () => undefined;
    },
    ValueError,
    'sni_callback cannot be set on TLS_CLIENT context',
  );
  throwsA(
    () => {
      client.minimumVersion = 5 as TLSVersion;
    },
    ValueError,
    'Unsupported TLS/SSL version 0x5',
  );
  const server = new SSLContext(PROTOCOL_TLS_SERVER);
  throwsA(
    () => {
      server.numTickets = -1;
    },
    ValueError,
    'value must be non-negative',
  );
  server.numTickets = 0;
  assert.is(server.numTickets, 0);
  const pinned = new SSLContext(PROTOCOL_TLSv1_2);
  throwsA(
    () => {
      pinned.minimumVersion = TLSVersion.TLSv1_3;
    },
    ValueError,
    "The context's protocol doesn't support modification of highest and lowest version.",
  );
  assert.is(pinned.minimumVersion, TLSVersion.MINIMUM_SUPPORTED);
  throwsA(() => server.setNpnProtocols(['h2']), NotImplementedError);
  throwsA(
    () => server.setAlpnProtocols(['x'.repeat(256)]),
    SSLError,
    'ALPN protocols must be 1 to 255 in length',
  );
  throwsA(
    () => server.setAlpnProtocols(['']),
    SSLError,
    'ALPN protocols must be 1 to 255 in length',
  );
  throwsA(() => server.setEcdhCurve('nope'), ValueError, "unknown elliptic curve name 'nope'");
  server.setEcdhCurve('prime256v1');
});

test('loadCertChain takes a combined file, a separate key and encrypted keys with every password form', () => {
  const c = new SSLContext(PROTOCOL_TLS_SERVER);
  c.loadCertChain(pki.path('server-combined'));
  c.loadCertChain(pki.path('server'), pki.path('server-key'));
  c.loadCertChain(pki.path('server'), pki.path('server-enc-key'), 'secret');
  c.loadCertChain(pki.path('server'), pki.path('server-enc-key'), Buffer.from('secret'));
  c.loadCertChain(pki.path('server'), pki.path('server-enc-key'), () => 'secret');
  c.loadCertChainData({ cert: pki.server.cert, key: pki.server.key });
});

test("loadCertChain errors are Python's: wrong password, mismatched key, missing file, bad callback", () => {
  const c = new SSLContext(PROTOCOL_TLS_SERVER);
  const wrong = throwsA(
    () => c.loadCertChain(pki.path('server'), pki.path('server-enc-key'), 'wrong'),
    SSLError,
    '[SSL] PEM lib',
  );
  assert.is((wrong as SSLError).library, 'SSL');
  const mismatch = throwsA(
    () => c.loadCertChain(pki.path('server'), pki.path('client-key')),
    SSLError,
    '[X509: KEY_VALUES_MISMATCH] key values mismatch',
  ) as SSLError;
  assert.is(mismatch.reason, 'KEY_VALUES_MISMATCH');
  const missing = throwsA(() => c.loadCertChain(join(pki.dir, 'missing.pem')), Error);
  assert.is((missing as NodeJS.ErrnoException).code, 'ENOENT');
  assert.match(missing.message, /missing\.pem/);
  throwsA(
    () => c.loadCertChain(pki.path('server'), pki.path('server-enc-key'), (() => 1) as never),
    TypeError,
    'password callback must return a string',
  );
  throwsA(
    () => c.loadCertChain(pki.path('server'), pki.path('server-enc-key')),
    SSLError,
    '[SSL] PEM lib',
  );
  const py = python<string[]>(
    `
import ssl, json, sys
d = json.load(sys.stdin)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
out = []
for args in ([d['cert'], d['enc'], 'wrong'], [d['cert'], d['other']]):
    try: c.load_cert_chain(*args); out.append('ok')
    except ssl.SSLError as e: out.append(str(e).split(' (_ssl.c')[0])
print(json.dumps(out))`,
    { cert: pki.path('server'), enc: pki.path('server-enc-key'), other: pki.path('client-key') },
  );
  assert.equal(py, [wrong.message, mismatch.message]);
});

test('loadVerifyLocations: cafile, hashed capath, PEM and DER cadata; stats and CA lists equal Python', () => {
  const capath = join(pki.dir, 'capath');
  mkdirSync(capath);
  copyFileSync(pki.path('otherCa'), join(capath, 'other.pem'));
  execFileSync('openssl', ['rehash', capath]);
  const der = pki.alt.der;
  const ours = new SSLContext(PROTOCOL_TLS_CLIENT);
  assert.equal(ours.certStoreStats(), { x509: 0, crl: 0, x509_ca: 0 });
  ours.loadVerifyLocations({ cafile: pki.path('ca') });
  ours.loadVerifyLocations({ cadata: pki.server.cert });
  ours.loadVerifyLocations({ cadata: der });
  ours.loadVerifyLocations({ capath });
  const py = python<[Record<string, number>, unknown[], number]>(
    `
import ssl, json, sys
d = json.load(sys.stdin)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.load_verify_locations(d['ca'])
c.load_verify_locations(cadata=open(d['server']).read())
c.load_verify_locations(cadata=bytes.fromhex(d['der']))
c.load_verify_locations(capath=d['capath'])
print(json.dumps([c.cert_store_stats(), c.get_ca_certs(), len(c.get_ca_certs(True))]))`,
    { ca: pki.path('ca'), server: pki.path('server'), der: der.toString('hex'), capath },
  );
  // OpenSSL loads a hashed directory lazily, during verification: Python counts only what was
  // loaded so far, rxtls loads it at once.
  assert.equal(ours.certStoreStats(), {
    x509: py[0]['x509']! + 1,
    crl: 0,
    x509_ca: py[0]['x509_ca']! + 1,
  });
  assert.equal(JSON.parse(JSON.stringify(ours.getCaCerts().slice(0, 1))), py[1]);
  assert.is(ours.getCaCerts(true).length, py[2] + 1);
});

test("loadVerifyLocations errors are Python's", () => {
  const c = new SSLContext(PROTOCOL_TLS_CLIENT);
  throwsA(
    () => c.loadVerifyLocations({}),
    TypeError,
    'cafile, capath and cadata cannot be all omitted',
  );
  throwsA(() => c.loadVerifyLocations({ cadata: '' }), ValueError, 'Empty certificate data');
  throwsA(
    () => c.loadVerifyLocations({ cadata: 'garbage' }),
    SSLError,
    'no start line: cadata does not contain a certificate',
  );
  throwsA(
    () => c.loadVerifyLocations({ cadata: Buffer.from('garbage') }),
    SSLError,
    'not enough data: cadata does not contain a certificate',
  );
  writeFileSync(join(pki.dir, 'garbage.pem'), 'garbage\n');
  const none = throwsA(
    () => c.loadVerifyLocations({ cafile: join(pki.dir, 'garbage.pem') }),
    SSLError,
    '[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found',
  );
  assert.is((none as SSLError).reason, 'NO_CERTIFICATE_OR_CRL_FOUND');
  const missing = throwsA(
    () => c.loadVerifyLocations({ cafile: join(pki.dir, 'nope.pem') }),
    Error,
  );
  assert.is((missing as NodeJS.ErrnoException).code, 'ENOENT');
  assert.equal(c.certStoreStats(), { x509: 0, crl: 0, x509_ca: 0 }, 'a failed load adds nothing');
});

test('getCiphers equals Python for the default and for custom cipher strings; no match is NO_CIPHER_MATCH', () => {
  // Two kinds of suite never appear in a ClientHello, where rxtls reads the list: SRP (Node cannot
  // negotiate it) and, at security level 2, NULL encryption.
  const specs = [
    'DEFAULT:!SRP',
    'PSK:!eNULL',
    'ECDHE+AESGCM',
    'AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384',
    'HIGH:!aNULL:!MD5:!SRP',
  ];
  const py = python<unknown[][]>(
    `
import ssl, json, sys
out = [ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).get_ciphers()]
for spec in json.load(sys.stdin):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.set_ciphers(spec); out.append(c.get_ciphers())
print(json.dumps(out))`,
    specs,
  );
  assert.equal(new SSLContext(PROTOCOL_TLS_CLIENT).getCiphers(), py[0]);
  specs.forEach((spec, i) => {
    const c = new SSLContext(PROTOCOL_TLS_CLIENT);
    c.setCiphers(spec);
    assert.equal(c.getCiphers(), py[i + 1], spec);
  });
  const e = throwsA(
    () => new SSLContext(PROTOCOL_TLS_CLIENT).setCiphers('NOPE'),
    SSLError,
    '[SSL: NO_CIPHER_MATCH] No cipher can be selected.',
  );
  assert.is((e as SSLError).reason, 'NO_CIPHER_MATCH');
});

test("keylogFilename writes Python's header and NSS key log lines for each handshake", async () => {
  const path = join(pki.dir, 'keys.log');
  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  client.loadVerifyLocations({ cafile: pki.path('ca') });
  client.keylogFilename = path;
  assert.is(client.keylogFilename, path);
  const server = new SSLContext(PROTOCOL_TLS_SERVER);
  server.loadCertChain(pki.path('server-combined'));
  const c = client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
  const s = server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  await handshake(c, s);
  await send(c, s, Buffer.from('x'));
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  assert.is(lines[0], '# TLS secrets log file, generated by OpenSSL / Python');
  const labels = new Set(lines.slice(1).map((line) => line.split(' ')[0]));
  for (const label of [
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
    'SERVER_HANDSHAKE_TRAFFIC_SECRET',
    'CLIENT_TRAFFIC_SECRET_0',
    'SERVER_TRAFFIC_SECRET_0',
  ]) {
    assert.ok(labels.has(label), label);
  }
  for (const line of lines.slice(1))
    assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
});

test('createDefaultContext verifies with the given CAs; CLIENT_AUTH makes a server context', async () => {
  const client = createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
  assert.is(client.verifyMode, CERT_REQUIRED);
  assert.is(client.checkHostname, true);
  assert.is(client.minimumVersion, TLSVersion.TLSv1_2);
  assert.is(client.certStoreStats().x509_ca, 1);
  const server = createDefaultContext(Purpose.CLIENT_AUTH);
  assert.is(server.protocol, PROTOCOL_TLS_SERVER);
  assert.is(server.verifyMode, CERT_NONE);
  server.loadCertChain(pki.path('server-combined'));
  const c = client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
  const s = server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  await handshake(c, s);
  assert.equal(client.sessionStats().connect_good, 1);
  assert.equal(server.sessionStats().accept_good, 1);
  throwsA(() => createDefaultContext({ nid: 1 } as never), TypeError);
});

test('wrapBio checks sides and names as Python does', () => {
  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  const server = new SSLContext(PROTOCOL_TLS_SERVER);
  const bios = () => [new MemoryBIO(), new MemoryBIO()] as const;
  throwsA(() => client.wrapBio(...bios()), ValueError, 'check_hostname requires server_hostname');
  throwsA(
    () => client.wrapBio(...bios(), { serverSide: true }),
    ValueError,
    'Cannot create a server socket with a PROTOCOL_TLS_CLIENT context',
  );
  throwsA(
    () => server.wrapBio(...bios(), { serverSide: false }),
    ValueError,
    'Cannot create a client socket with a PROTOCOL_TLS_SERVER context',
  );
  const either = new SSLContext(PROTOCOL_TLS);
  throwsA(
    () => either.wrapBio(...bios(), { serverSide: true, serverHostname: 'x' }),
    ValueError,
    'server_hostname can only be specified in client mode',
  );
  throwsA(() => client.wrapBio(...bios(), { serverHostname: '.x' }), ValueError);
  throwsA(
    () => client.wrapBio(...bios(), { serverHostname: '.example' }),
    UnicodeError,
    "encoding with 'idna' codec failed (UnicodeError: label empty or too long)",
  );
  throwsA(() => client.wrapBio('x' as never, new MemoryBIO()), TypeError);
  const obj = client.wrapBio(...bios(), { serverHostname: 'bücher.example' });
  assert.is(obj.serverHostname, 'xn--bcher-kva.example', 'IDNA-encoded as Python does');
  assert.is(obj.engine, client.engine);
});

test('setDefaultVerifyPaths and loadDefaultCerts honour SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL does', async () => {
  const saved = { file: process.env['SSL_CERT_FILE'], dir: process.env['SSL_CERT_DIR'] };
  try {
    process.env['SSL_CERT_FILE'] = pki.path('ca');
    process.env['SSL_CERT_DIR'] = join(pki.dir, 'no-such-dir');
    const client = new SSLContext(PROTOCOL_TLS_CLIENT);
    client.setDefaultVerifyPaths();
    assert.equal(client.certStoreStats(), { x509: 1, crl: 0, x509_ca: 1 });
    const viaPurpose = new SSLContext(PROTOCOL_TLS_CLIENT);
    viaPurpose.loadDefaultCerts(Purpose.SERVER_AUTH);
    assert.equal(viaPurpose.certStoreStats().x509_ca, 1);
    const server = new SSLContext(PROTOCOL_TLS_SERVER);
    server.loadCertChain(pki.path('server-combined'));
    const c = client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
    const s = server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
    await handshake(c, s);
    throwsA(() => viaPurpose.loadDefaultCerts({ nid: 0 } as never), TypeError);
  } finally {
    for (const [key, value] of [
      ['SSL_CERT_FILE', saved.file],
      ['SSL_CERT_DIR', saved.dir],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test("loadDhParams enables finite-field DHE suites; a missing file keeps Node's ENOENT", async () => {
  const dh = join(pki.dir, 'dh.pem');
  execFileSync('openssl', [
    'genpkey',
    '-genparam',
    '-algorithm',
    'DH',
    '-pkeyopt',
    'group:ffdhe2048',
    '-out',
    dh,
  ]);
  const server = new SSLContext(PROTOCOL_TLS_SERVER);
  server.loadCertChain(pki.path('serverRsa'), pki.path('serverRsa-key'));
  server.loadDhParams(dh);
  server.setCiphers('DHE-RSA-AES128-GCM-SHA256');
  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  client.loadVerifyLocations({ cafile: pki.path('ca') });
  client.maximumVersion = TLSVersion.TLSv1_2;
  client.setCiphers('DHE-RSA-AES128-GCM-SHA256');
  const c = client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
  const s = server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  await handshake(c, s);
  assert.is(c.cipher()?.[0], 'DHE-RSA-AES128-GCM-SHA256');
  const missing = throwsA(() => server.loadDhParams(join(pki.dir, 'nope.pem')), Error);
  assert.is((missing as NodeJS.ErrnoException).code, 'ENOENT');
  writeFileSync(join(pki.dir, 'not-dh.pem'), 'garbage');
  throwsA(
    () => server.loadDhParams(join(pki.dir, 'not-dh.pem')),
    SSLError,
    '[PEM: NO_START_LINE] no start line',
  );
});

test.run();
