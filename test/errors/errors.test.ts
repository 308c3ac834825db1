import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CertificateError,
  isWouldBlock,
  NotImplementedError,
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLErrorNumber,
  SSLSyscallError,
  SSLWantReadError,
  SSLWantWriteError,
  SSLZeroReturnError,
  ValueError,
} from '../../src/index.js';
import { isFatal } from '../../src/errors/errors.js';
import { python } from '../helpers/python.js';

test('every SSL error subclass is an SSLError and an Error, with Python errno values', () => {
  const cases: [SSLError, number][] = [
    [new SSLZeroReturnError(), SSLErrorNumber.SSL_ERROR_ZERO_RETURN],
    [new SSLWantReadError(), SSLErrorNumber.SSL_ERROR_WANT_READ],
    [new SSLWantWriteError(), SSLErrorNumber.SSL_ERROR_WANT_WRITE],
    [new SSLSyscallError(), SSLErrorNumber.SSL_ERROR_SYSCALL],
    [new SSLEOFError(), SSLErrorNumber.SSL_ERROR_EOF],
    [new SSLCertVerificationError('x'), SSLErrorNumber.SSL_ERROR_SSL],
  ];
  for (const [error, errno] of cases) {
    assert.instance(error, SSLError);
    assert.instance(error, Error);
    assert.is(error.errno, errno, error.name);
    assert.match(error.code, /^ERR_SSL/);
  }
});

test('default messages are Python str() of the same error', () => {
  const py = python<Record<string, number>>(`
import ssl, json
print(json.dumps({k: int(v) for k, v in ssl.SSLErrorNumber.__members__.items()}))`);
  for (const [name, value] of Object.entries(py)) {
    assert.is(SSLErrorNumber[name as keyof typeof SSLErrorNumber], value, name);
  }
  assert.is(new SSLWantReadError().message, 'The operation did not complete (read)');
  assert.is(new SSLZeroReturnError().message, 'TLS/SSL connection has been closed (EOF)');
  assert.is(
    new SSLEOFError().message,
    '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol',
  );
});

test('library and reason give Python message prefixes and a stable code', () => {
  const e = new SSLError('key values mismatch', { library: 'X509', reason: 'KEY_VALUES_MISMATCH' });
  assert.is(e.message, '[X509: KEY_VALUES_MISMATCH] key values mismatch');
  assert.is(e.library, 'X509');
  assert.is(e.reason, 'KEY_VALUES_MISMATCH');
  assert.is(e.code, 'ERR_SSL_KEY_VALUES_MISMATCH');
  const bare = new SSLError('plain');
  assert.is(bare.message, 'plain');
  assert.is(bare.reason, undefined);
  assert.is(bare.code, 'ERR_SSL');
});

test('a verification failure carries verifyCode and verifyMessage; CertificateError is the same class', () => {
  const cause = new Error('node said so');
  const e = SSLCertVerificationError.fromVerifyResult(10, 'certificate has expired', cause);
  assert.is(e.verifyCode, 10);
  assert.is(e.verifyMessage, 'certificate has expired');
  assert.is(
    e.message,
    '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired',
  );
  assert.is(e.cause, cause);
  assert.is(CertificateError, SSLCertVerificationError);
  assert.instance(new CertificateError("hostname 'a' doesn't match 'b'"), SSLError);
});

test('ValueError and NotImplementedError are named Errors with codes', () => {
  const v = new ValueError('bad value');
  assert.is(v.name, 'ValueError');
  assert.is(v.code, 'ERR_RXTLS_VALUE');
  assert.instance(v, Error);
  const n = new NotImplementedError('NPN');
  assert.is(n.name, 'NotImplementedError');
  assert.is(n.code, 'ERR_RXTLS_NOT_IMPLEMENTED');
});

test('isWouldBlock is true for want-read and want-write only', () => {
  assert.ok(isWouldBlock(new SSLWantReadError()));
  assert.ok(isWouldBlock(new SSLWantWriteError()));
  for (const other of [
    new SSLError('x'),
    new SSLZeroReturnError(),
    new SSLEOFError(),
    new Error('x'),
    'x',
    null,
  ]) {
    assert.not.ok(isWouldBlock(other), String(other));
  }
});

test('isFatal: failures end the connection; waiting, close_notify and misuse refusals do not', () => {
  for (const fatal of [
    new SSLError('x'),
    new SSLError('bad record mac', { reason: 'DECRYPTION_FAILED_OR_BAD_RECORD_MAC' }),
    new SSLEOFError(),
    new SSLSyscallError(),
    SSLCertVerificationError.fromVerifyResult(20, 'unable to get local issuer certificate'),
  ]) {
    assert.ok(isFatal(fatal), fatal.message);
  }
  for (const other of [
    new SSLWantReadError(),
    new SSLWantWriteError(),
    new SSLZeroReturnError(),
    new SSLError('protocol is shutdown', { reason: 'PROTOCOL_IS_SHUTDOWN' }),
    new SSLError('shutdown while in init', { reason: 'SHUTDOWN_WHILE_IN_INIT' }),
    new ValueError('SSLObject was destroyed'),
    new NotImplementedError('x'),
    new Error('x'),
    undefined,
  ]) {
    assert.not.ok(isFatal(other), String(other));
  }
});

test.run();
