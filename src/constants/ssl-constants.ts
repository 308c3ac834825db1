/**
 * Python's `ssl` constants, with Python 3.11's values on OpenSSL 3.0 (the OpenSSL inside Node 20).
 * OpenSSL's own numbers (OP_*, VERIFY_*, ALERT_DESCRIPTION_*) are checked against `python3` on the
 * same machine by test/constants/ssl-constants.test.ts.
 */

// ---------------------------------------------------------------------------------------------
// Verification modes and flags

/** Python's `ssl.VerifyMode`. */
export enum VerifyMode {
  CERT_NONE = 0,
  CERT_OPTIONAL = 1,
  CERT_REQUIRED = 2,
}
export const CERT_NONE = VerifyMode.CERT_NONE;
export const CERT_OPTIONAL = VerifyMode.CERT_OPTIONAL;
export const CERT_REQUIRED = VerifyMode.CERT_REQUIRED;

/** Python's `ssl.VerifyFlags`: OpenSSL's `X509_V_FLAG_*` bits. */
export enum VerifyFlags {
  VERIFY_DEFAULT = 0,
  VERIFY_CRL_CHECK_LEAF = 0x4,
  VERIFY_CRL_CHECK_CHAIN = 0x4 | 0x8,
  VERIFY_X509_STRICT = 0x20,
  VERIFY_ALLOW_PROXY_CERTS = 0x40,
  VERIFY_X509_TRUSTED_FIRST = 0x8000,
  VERIFY_X509_PARTIAL_CHAIN = 0x80000,
}
export const VERIFY_DEFAULT = VerifyFlags.VERIFY_DEFAULT;
export const VERIFY_CRL_CHECK_LEAF = VerifyFlags.VERIFY_CRL_CHECK_LEAF;
export const VERIFY_CRL_CHECK_CHAIN = VerifyFlags.VERIFY_CRL_CHECK_CHAIN;
export const VERIFY_X509_STRICT = VerifyFlags.VERIFY_X509_STRICT;
export const VERIFY_ALLOW_PROXY_CERTS = VerifyFlags.VERIFY_ALLOW_PROXY_CERTS;
export const VERIFY_X509_TRUSTED_FIRST = VerifyFlags.VERIFY_X509_TRUSTED_FIRST;
export const VERIFY_X509_PARTIAL_CHAIN = VerifyFlags.VERIFY_X509_PARTIAL_CHAIN;
/**
 * OpenSSL's X509_V_FLAG_CRL_CHECK_ALL, which has no Python name: what VERIFY_CRL_CHECK_CHAIN adds
 * to VERIFY_CRL_CHECK_LEAF (CRLs checked for the whole chain, not only the leaf).
 */
export const X509_V_FLAG_CRL_CHECK_ALL = VERIFY_CRL_CHECK_CHAIN & ~VERIFY_CRL_CHECK_LEAF;

// ---------------------------------------------------------------------------------------------
// Protocols and versions

/** Python's `ssl._SSLMethod`: what a context is for. */
export enum SSLMethod {
  PROTOCOL_TLSv1 = 3,
  PROTOCOL_TLSv1_1 = 4,
  PROTOCOL_TLSv1_2 = 5,
  PROTOCOL_TLS = 2,
  PROTOCOL_TLS_CLIENT = 16,
  PROTOCOL_TLS_SERVER = 17,
}
export const PROTOCOL_TLS = SSLMethod.PROTOCOL_TLS;
/** An alias of {@link PROTOCOL_TLS}, as in Python. */
export const PROTOCOL_SSLv23 = SSLMethod.PROTOCOL_TLS;
export const PROTOCOL_TLS_CLIENT = SSLMethod.PROTOCOL_TLS_CLIENT;
export const PROTOCOL_TLS_SERVER = SSLMethod.PROTOCOL_TLS_SERVER;
/** @deprecated pins the context to TLS 1.0 (minimum = maximum), as Python does. */
export const PROTOCOL_TLSv1 = SSLMethod.PROTOCOL_TLSv1;
/** @deprecated pins the context to TLS 1.1 (minimum = maximum), as Python does. */
export const PROTOCOL_TLSv1_1 = SSLMethod.PROTOCOL_TLSv1_1;
/** @deprecated pins the context to TLS 1.2 (minimum = maximum), as Python does. */
export const PROTOCOL_TLSv1_2 = SSLMethod.PROTOCOL_TLSv1_2;

/** Python's `ssl.TLSVersion`: wire version numbers, and two sentinels for "as far as supported". */
export enum TLSVersion {
  MINIMUM_SUPPORTED = -2,
  MAXIMUM_SUPPORTED = -1,
  SSLv3 = 0x0300,
  TLSv1 = 0x0301,
  TLSv1_1 = 0x0302,
  TLSv1_2 = 0x0303,
  TLSv1_3 = 0x0304,
}

// ---------------------------------------------------------------------------------------------
// Options (OpenSSL's SSL_OP_* bits)

/** Python's `ssl.Options`. */
export enum Options {
  /**
   * OpenSSL's `SSL_OP_ALL` without `SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS`, as Python defines it
   * (empty fragments are the CBC countermeasure Python keeps on).
   */
  OP_ALL = 0x80000050,
  OP_NO_SSLv2 = 0,
  OP_NO_SSLv3 = 0x02000000,
  OP_NO_TLSv1 = 0x04000000,
  OP_NO_TLSv1_1 = 0x10000000,
  OP_NO_TLSv1_2 = 0x08000000,
  OP_NO_TLSv1_3 = 0x20000000,
  OP_CIPHER_SERVER_PREFERENCE = 0x00400000,
  OP_SINGLE_DH_USE = 0,
  OP_SINGLE_ECDH_USE = 0,
  OP_NO_COMPRESSION = 0x00020000,
  OP_ENABLE_MIDDLEBOX_COMPAT = 0x00100000,
  OP_NO_TICKET = 0x00004000,
  OP_NO_RENEGOTIATION = 0x40000000,
  OP_IGNORE_UNEXPECTED_EOF = 0x00000080,
}
export const OP_ALL = Options.OP_ALL;
export const OP_NO_SSLv2 = Options.OP_NO_SSLv2;
export const OP_NO_SSLv3 = Options.OP_NO_SSLv3;
export const OP_NO_TLSv1 = Options.OP_NO_TLSv1;
export const OP_NO_TLSv1_1 = Options.OP_NO_TLSv1_1;
export const OP_NO_TLSv1_2 = Options.OP_NO_TLSv1_2;
export const OP_NO_TLSv1_3 = Options.OP_NO_TLSv1_3;
export const OP_CIPHER_SERVER_PREFERENCE = Options.OP_CIPHER_SERVER_PREFERENCE;
export const OP_SINGLE_DH_USE = Options.OP_SINGLE_DH_USE;
export const OP_SINGLE_ECDH_USE = Options.OP_SINGLE_ECDH_USE;
export const OP_NO_COMPRESSION = Options.OP_NO_COMPRESSION;
export const OP_ENABLE_MIDDLEBOX_COMPAT = Options.OP_ENABLE_MIDDLEBOX_COMPAT;
export const OP_NO_TICKET = Options.OP_NO_TICKET;
export const OP_NO_RENEGOTIATION = Options.OP_NO_RENEGOTIATION;
export const OP_IGNORE_UNEXPECTED_EOF = Options.OP_IGNORE_UNEXPECTED_EOF;

// ---------------------------------------------------------------------------------------------
// Alerts

/** Python's `ssl.AlertDescription`: TLS alert numbers (RFC 8446 section 6). */
export enum AlertDescription {
  ALERT_DESCRIPTION_CLOSE_NOTIFY = 0,
  ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10,
  ALERT_DESCRIPTION_BAD_RECORD_MAC = 20,
  ALERT_DESCRIPTION_RECORD_OVERFLOW = 22,
  ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30,
  ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40,
  ALERT_DESCRIPTION_BAD_CERTIFICATE = 42,
  ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43,
  ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44,
  ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45,
  ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46,
  ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47,
  ALERT_DESCRIPTION_UNKNOWN_CA = 48,
  ALERT_DESCRIPTION_ACCESS_DENIED = 49,
  ALERT_DESCRIPTION_DECODE_ERROR = 50,
  ALERT_DESCRIPTION_DECRYPT_ERROR = 51,
  ALERT_DESCRIPTION_PROTOCOL_VERSION = 70,
  ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71,
  ALERT_DESCRIPTION_INTERNAL_ERROR = 80,
  ALERT_DESCRIPTION_USER_CANCELLED = 90,
  ALERT_DESCRIPTION_NO_RENEGOTIATION = 100,
  ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110,
  ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111,
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112,
  ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
  ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114,
  ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115,
}
export const ALERT_DESCRIPTION_CLOSE_NOTIFY = AlertDescription.ALERT_DESCRIPTION_CLOSE_NOTIFY;
export const ALERT_DESCRIPTION_UNEXPECTED_MESSAGE =
  AlertDescription.ALERT_DESCRIPTION_UNEXPECTED_MESSAGE;
export const ALERT_DESCRIPTION_BAD_RECORD_MAC = AlertDescription.ALERT_DESCRIPTION_BAD_RECORD_MAC;
export const ALERT_DESCRIPTION_RECORD_OVERFLOW = AlertDescription.ALERT_DESCRIPTION_RECORD_OVERFLOW;
export const ALERT_DESCRIPTION_DECOMPRESSION_FAILURE =
  AlertDescription.ALERT_DESCRIPTION_DECOMPRESSION_FAILURE;
export const ALERT_DESCRIPTION_HANDSHAKE_FAILURE =
  AlertDescription.ALERT_DESCRIPTION_HANDSHAKE_FAILURE;
export const ALERT_DESCRIPTION_BAD_CERTIFICATE = AlertDescription.ALERT_DESCRIPTION_BAD_CERTIFICATE;
export const ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE =
  AlertDescription.ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE;
export const ALERT_DESCRIPTION_CERTIFICATE_REVOKED =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_REVOKED;
export const ALERT_DESCRIPTION_CERTIFICATE_EXPIRED =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_EXPIRED;
export const ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN;
export const ALERT_DESCRIPTION_ILLEGAL_PARAMETER =
  AlertDescription.ALERT_DESCRIPTION_ILLEGAL_PARAMETER;
export const ALERT_DESCRIPTION_UNKNOWN_CA = AlertDescription.ALERT_DESCRIPTION_UNKNOWN_CA;
export const ALERT_DESCRIPTION_ACCESS_DENIED = AlertDescription.ALERT_DESCRIPTION_ACCESS_DENIED;
export const ALERT_DESCRIPTION_DECODE_ERROR = AlertDescription.ALERT_DESCRIPTION_DECODE_ERROR;
export const ALERT_DESCRIPTION_DECRYPT_ERROR = AlertDescription.ALERT_DESCRIPTION_DECRYPT_ERROR;
export const ALERT_DESCRIPTION_PROTOCOL_VERSION =
  AlertDescription.ALERT_DESCRIPTION_PROTOCOL_VERSION;
export const ALERT_DESCRIPTION_INSUFFICIENT_SECURITY =
  AlertDescription.ALERT_DESCRIPTION_INSUFFICIENT_SECURITY;
export const ALERT_DESCRIPTION_INTERNAL_ERROR = AlertDescription.ALERT_DESCRIPTION_INTERNAL_ERROR;
export const ALERT_DESCRIPTION_USER_CANCELLED = AlertDescription.ALERT_DESCRIPTION_USER_CANCELLED;
export const ALERT_DESCRIPTION_NO_RENEGOTIATION =
  AlertDescription.ALERT_DESCRIPTION_NO_RENEGOTIATION;
export const ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION =
  AlertDescription.ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION;
export const ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE =
  AlertDescription.ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE;
export const ALERT_DESCRIPTION_UNRECOGNIZED_NAME =
  AlertDescription.ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
export const ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE =
  AlertDescription.ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE;
export const ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE =
  AlertDescription.ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE;
export const ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY =
  AlertDescription.ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY;

// ---------------------------------------------------------------------------------------------
// SSL_get_error() values, as Python exports them

export const SSL_ERROR_SSL = 1;
export const SSL_ERROR_WANT_READ = 2;
export const SSL_ERROR_WANT_WRITE = 3;
export const SSL_ERROR_WANT_X509_LOOKUP = 4;
export const SSL_ERROR_SYSCALL = 5;
export const SSL_ERROR_ZERO_RETURN = 6;
export const SSL_ERROR_WANT_CONNECT = 7;
export const SSL_ERROR_EOF = 8;
export const SSL_ERROR_INVALID_ERROR_CODE = 10;

// ---------------------------------------------------------------------------------------------
// Capabilities of the OpenSSL inside Node

export const HAS_ALPN = true;
export const HAS_SNI = true;
export const HAS_ECDH = true;
/** NPN was removed from Node; ALPN replaces it. */
export const HAS_NPN = false;
export const HAS_NEVER_CHECK_COMMON_NAME = true;
export const HAS_SSLv2 = false;
export const HAS_SSLv3 = false;
export const HAS_TLSv1 = true;
export const HAS_TLSv1_1 = true;
export const HAS_TLSv1_2 = true;
export const HAS_TLSv1_3 = true;
export const HAS_PSK = true;
/** Channel bindings `getChannelBinding()` can produce (RFC 5929). */
export const CHANNEL_BINDING_TYPES: readonly string[] = Object.freeze(['tls-unique']);

// ---------------------------------------------------------------------------------------------
// The OpenSSL version

const [major = 0, minor = 0, patch = 0] = (process.versions.openssl ?? '0.0.0')
  .split(/[.-]/)
  .map((part) => Number.parseInt(part, 10) || 0);

/**
 * OpenSSL's version text. Node does not expose OpenSSL's release date, so this is
 * `OpenSSL 3.0.19` where Python shows `OpenSSL 3.0.19 27 Jan 2026`.
 */
export const OPENSSL_VERSION = `OpenSSL ${process.versions.openssl ?? 'unknown'}`;
/** OpenSSL 3's `OPENSSL_VERSION_NUMBER`: 0xMNN00PP0 (major, minor, patch; status 0: release). */
export const OPENSSL_VERSION_NUMBER = ((major << 28) | (minor << 20) | (patch << 4)) >>> 0;
/** `[major, minor, fix, patch, status]` decoded from the number exactly as Python decodes it. */
export const OPENSSL_VERSION_INFO: readonly [number, number, number, number, number] =
  Object.freeze([
    (OPENSSL_VERSION_NUMBER >>> 28) & 0xf,
    (OPENSSL_VERSION_NUMBER >>> 20) & 0xff,
    (OPENSSL_VERSION_NUMBER >>> 12) & 0xff,
    (OPENSSL_VERSION_NUMBER >>> 4) & 0xff,
    OPENSSL_VERSION_NUMBER & 0xf,
  ]);

// ---------------------------------------------------------------------------------------------
// Purposes

/** An extended key usage, as Python's `ssl._ASN1Object`: `[nid, shortname, longname, oid]`. */
export interface ASN1Object {
  readonly nid: number;
  readonly shortname: string;
  readonly longname: string;
  readonly oid: string;
}

/** Python's `ssl.Purpose`: what a default context's peer certificates must be good for. */
export const Purpose = Object.freeze({
  /** Verify servers: a client context. */
  SERVER_AUTH: Object.freeze({
    nid: 129,
    shortname: 'serverAuth',
    longname: 'TLS Web Server Authentication',
    oid: '1.3.6.1.5.5.7.3.1',
  }) as ASN1Object,
  /** Verify clients: a server context. */
  CLIENT_AUTH: Object.freeze({
    nid: 130,
    shortname: 'clientAuth',
    longname: 'TLS Web Client Authentication',
    oid: '1.3.6.1.5.5.7.3.2',
  }) as ASN1Object,
});
