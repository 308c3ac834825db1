import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLSyscallError,
  SSLWantWriteError,
  SSLZeroReturnError,
} from '../../../../src/errors/errors.js';
import type { NativeErrorDescription } from '../../../../src/transport/engines/native/native-binding.js';
import { encodeAlpn } from '../../../../src/transport/engines/native/native-context.js';
import {
  isNativeErrorDescription,
  nativeError,
} from '../../../../src/transport/engines/native/native-error.js';

const describe = (fields: Partial<NativeErrorDescription>): NativeErrorDescription => ({
  rxtlsNative: true,
  sslError: 1,
  ret: -1,
  ...fields,
});

const ssl = { lib: 20, library: 'SSL' };

test('each SSL_get_error value maps to the class and words of PySSL_SetError', () => {
  const cases: [Partial<NativeErrorDescription>, unknown, string][] = [
    [{ sslError: 6 }, SSLZeroReturnError, 'TLS/SSL connection has been closed (EOF)'],
    [{ sslError: 3 }, SSLWantWriteError, 'The operation did not complete (write)'],
    [{ sslError: 4 }, SSLError, 'The operation did not complete (X509 lookup)'],
    [{ sslError: 7 }, SSLError, 'The operation did not complete (connect)'],
    [{ sslError: 5, ret: 0 }, SSLEOFError, 'EOF occurred in violation of protocol'],
    [{ sslError: 5, ret: -1 }, SSLSyscallError, 'Some I/O error occurred'],
    [
      { sslError: 5, ...ssl, reason: 'BAD_LENGTH', reasonText: 'bad length' },
      SSLError,
      '[SSL: BAD_LENGTH] bad length',
    ],
    [{ sslError: 1 }, SSLError, 'A failure in the SSL library occurred'],
    [
      { sslError: 1, lib: 2, library: 'SYS', reasonText: 'Broken pipe', systemError: 32 },
      SSLSyscallError,
      '[SYS] Broken pipe',
    ],
    [{ sslError: 1, ...ssl, reasonText: 'PEM lib' }, SSLError, '[SSL] PEM lib'],
    [{ sslError: 1, lib: 99 }, SSLError, 'unknown error'],
    [{ sslError: 42 }, SSLError, 'Invalid error code'],
    [
      { sslError: 1, ...ssl, reason: 'UNEXPECTED_EOF_WHILE_READING' },
      SSLEOFError,
      '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol',
    ],
  ];
  for (const [fields, type, message] of cases) {
    const error = nativeError(describe(fields));
    assert.instance(error, type as typeof SSLError);
    assert.is(error.message, message);
  }
});

test('verification failures carry the code, and mismatches use Python wording', () => {
  const base = {
    ...ssl,
    reason: 'CERTIFICATE_VERIFY_FAILED',
    reasonText: 'certificate verify failed',
  };
  const expired = nativeError(
    describe({ ...base, verifyCode: 10, verifyMessage: 'certificate has expired' }),
  ) as SSLCertVerificationError;
  assert.instance(expired, SSLCertVerificationError);
  assert.is(expired.verifyCode, 10);
  assert.is(
    expired.message,
    '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired',
  );
  const ip = nativeError(
    describe({ ...base, verifyCode: 64 }),
    '10.0.0.1',
  ) as SSLCertVerificationError;
  assert.is(ip.verifyMessage, "IP address mismatch, certificate is not valid for '10.0.0.1'.");
  const unknown = nativeError(describe({ ...base, verifyCode: 99 })) as SSLCertVerificationError;
  assert.is(unknown.verifyMessage, 'unknown error');
});

test('a user callback error becomes the cause', () => {
  const cause = new Error('hook failed');
  assert.is(nativeError(describe({ sslError: 2 }), null, cause).cause, cause);
});

test('isNativeErrorDescription recognises only addon descriptions', () => {
  assert.ok(isNativeErrorDescription(describe({})));
  assert.not.ok(isNativeErrorDescription(new Error('x')));
  assert.not.ok(isNativeErrorDescription(null));
});

test('ALPN names are encoded length-prefixed (SSLContext checks their lengths)', () => {
  assert.equal(encodeAlpn(['h2', 'http/1.1']), Buffer.from('\x02h2\x08http/1.1', 'latin1'));
  assert.is(encodeAlpn([]), undefined);
});

test.run();
