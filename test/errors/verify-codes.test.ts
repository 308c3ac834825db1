import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as codes from '../../src/errors/verify-codes.js';

test('every named X509_V_ERR constant is the table number of its name', () => {
  const named = Object.entries(codes).filter(([name]) => name.startsWith('X509_V_ERR_'));
  assert.ok(named.length >= 10);
  for (const [name, value] of named) {
    assert.is(codes.verifyCodeOf(name.slice('X509_V_ERR_'.length)), value, name);
  }
});

test("verifyMessageOf gives OpenSSL's text, and verifyCodeOf finds a code by its text", () => {
  assert.is(codes.verifyMessageOf(codes.X509_V_ERR_CERT_REVOKED), 'certificate revoked');
  assert.is(codes.verifyCodeOf('certificate has expired'), 10);
  assert.is(codes.verifyMessageOf(100_000), 'unknown certificate verification error');
});

test("verifyMessageFor names the hostname in Python's mismatch wording, else OpenSSL's text", () => {
  assert.is(
    codes.verifyMessageFor(codes.X509_V_ERR_HOSTNAME_MISMATCH, 'wrong.example'),
    "Hostname mismatch, certificate is not valid for 'wrong.example'.",
  );
  assert.is(
    codes.verifyMessageFor(codes.X509_V_ERR_IP_ADDRESS_MISMATCH, '127.0.0.2'),
    "IP address mismatch, certificate is not valid for '127.0.0.2'.",
  );
  assert.is(codes.verifyMessageFor(10, 'x'), 'certificate has expired');
  assert.is(codes.verifyMessageFor(10, 'x', 'as the addon said'), 'as the addon said');
});

test('verifyCodesNamed gives the numbers of names, and refuses a name the table lacks', () => {
  assert.equal([...codes.verifyCodesNamed('CERT_HAS_EXPIRED', 'PATH_LOOP')], [10, 55]);
  assert.throws(() => codes.verifyCodesNamed('CERT_HAS_EXPIRED', 'CERT_HAS_EXPIRD'), /EXPIRD/);
  assert.throws(() => codes.verifyCodesNamed('certificate has expired'), /certificate/);
});

test.run();
