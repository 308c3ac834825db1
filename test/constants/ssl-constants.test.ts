import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as rxtls from '../../src/index.js';
import { python } from '../helpers/python.js';

const pythonConstants = python<Record<string, number | boolean | string | number[]>>(`
import ssl, json, enum
out = {}
for n in dir(ssl):
    v = getattr(ssl, n)
    if callable(v) and not isinstance(v, enum.Enum): continue
    if n.startswith(('OP_', 'VERIFY_', 'CERT_', 'PROTOCOL_', 'ALERT_DESCRIPTION_', 'HAS_', 'OPENSSL_VERSION', 'PEM_', 'CHANNEL_BINDING', 'SSL_ERROR_')):
        out[n] = int(v) if isinstance(v, enum.Enum) else (list(v) if isinstance(v, tuple) else v)
for m in ssl.TLSVersion: out['TLSVersion.' + m.name] = m.value
for p in ssl.Purpose: out['Purpose.' + p.name] = list(p.value)
print(json.dumps(out))
`);

const exported = rxtls as unknown as Record<string, unknown>;

test('every OP_, VERIFY_, CERT_, PROTOCOL_ and ALERT_DESCRIPTION_ constant equals Python 3.11 on this machine', () => {
  const names = Object.keys(pythonConstants).filter((n) =>
    /^(OP_|VERIFY_|CERT_|PROTOCOL_|ALERT_DESCRIPTION_|SSL_ERROR_)/.test(n),
  );
  assert.ok(names.length > 60, `python listed ${names.length} constants`);
  for (const name of names) {
    assert.is(exported[name], pythonConstants[name], name);
  }
});

test('HAS_* capabilities agree with Python where both link OpenSSL 3.0 (HAS_NPN false, TLS 1.3 on)', () => {
  for (const name of Object.keys(pythonConstants).filter((n) => n.startsWith('HAS_'))) {
    assert.is(exported[name], pythonConstants[name], name);
  }
  assert.is(rxtls.HAS_PSK, true);
});

test('OPENSSL_VERSION_NUMBER and OPENSSL_VERSION_INFO equal Python when both link the same OpenSSL', () => {
  const pyVersion = String(pythonConstants['OPENSSL_VERSION']);
  // Python and Node may link different OpenSSL releases; compare only when they are the same.
  if (pyVersion.startsWith(`${rxtls.OPENSSL_VERSION} `)) {
    assert.is(rxtls.OPENSSL_VERSION_NUMBER, pythonConstants['OPENSSL_VERSION_NUMBER']);
    assert.equal([...rxtls.OPENSSL_VERSION_INFO], pythonConstants['OPENSSL_VERSION_INFO']);
  }
  assert.match(rxtls.OPENSSL_VERSION, /^OpenSSL 3\.\d+\.\d+/);
  assert.is(rxtls.OPENSSL_VERSION_INFO[0], 3);
});

test('TLSVersion, Purpose, PEM armour and channel bindings equal Python', () => {
  for (const [key, value] of Object.entries(pythonConstants)) {
    if (key.startsWith('TLSVersion.')) {
      const member = key.slice('TLSVersion.'.length) as keyof typeof rxtls.TLSVersion;
      assert.is(rxtls.TLSVersion[member], value, key);
    }
  }
  const purpose = (p: rxtls.ASN1Object) => [p.nid, p.shortname, p.longname, p.oid];
  assert.equal(purpose(rxtls.Purpose.SERVER_AUTH), pythonConstants['Purpose.SERVER_AUTH']);
  assert.equal(purpose(rxtls.Purpose.CLIENT_AUTH), pythonConstants['Purpose.CLIENT_AUTH']);
  assert.is(rxtls.PEM_HEADER, pythonConstants['PEM_HEADER']);
  assert.is(rxtls.PEM_FOOTER, pythonConstants['PEM_FOOTER']);
  assert.equal([...rxtls.CHANNEL_BINDING_TYPES], pythonConstants['CHANNEL_BINDING_TYPES']);
});

test('enums and their UPPER_CASE aliases are the same numbers', () => {
  assert.is(rxtls.VerifyMode.CERT_REQUIRED, rxtls.CERT_REQUIRED);
  assert.is(rxtls.VerifyFlags.VERIFY_CRL_CHECK_CHAIN, rxtls.VERIFY_CRL_CHECK_CHAIN);
  assert.is(rxtls.Options.OP_NO_TICKET, rxtls.OP_NO_TICKET);
  assert.is(rxtls.AlertDescription.ALERT_DESCRIPTION_UNKNOWN_CA, 48);
  assert.is(rxtls.PROTOCOL_SSLv23, rxtls.PROTOCOL_TLS);
});

test.run();
