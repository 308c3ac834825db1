/**
 * Python 3.11's `ssl.match_hostname`, rule for rule and message for message (RFC 6125 as
 * CPython reads it): a certificate's names against the host a client meant to reach.
 */
import { CertificateError, typeError, ValueError } from '../errors/errors.js';
import {
  X509_V_ERR_HOSTNAME_MISMATCH,
  X509_V_ERR_IP_ADDRESS_MISMATCH,
} from '../errors/verify-codes.js';
import type { DecodedCert } from './decoded-cert.js';
import { inetPaton } from './inet-paton.js';
import { pyLower, pyRepr, pyRstrip } from './py-str.js';

const EMPTY_CERTIFICATE =
  'empty or no certificate, match_hostname needs a SSL socket or SSL context with either ' +
  'CERT_OPTIONAL or CERT_REQUIRED';

/** Splits at the first `sep`, as Python's `str.partition`. */
function partition(text: string, sep: string): [string, boolean, string] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, false, ''] : [text.slice(0, at), true, text.slice(at + sep.length)];
}

function countOf(text: string, char: string): number {
  return text.split(char).length - 1;
}

/**
 * Python's `ssl._dnsname_match`: exact (case-insensitive) or a wildcard that is the whole
 * leftmost label and stands for one non-empty label. Malformed wildcards throw rather than fail.
 */
function dnsnameMatch(dn: string, hostname: string, fail: (message: string) => Error): boolean {
  if (dn === '') return false;
  const wildcards = countOf(dn, '*');
  if (wildcards === 0) return pyLower(dn) === pyLower(hostname);
  if (wildcards > 1) throw fail(`too many wildcards in certificate DNS name: ${pyRepr(dn)}.`);
  const [dnLeftmost, dnHasDot, dnRemainder] = partition(dn, '.');
  if (dnRemainder.includes('*')) {
    throw fail(`wildcard can only be present in the leftmost label: ${pyRepr(dn)}.`);
  }
  if (!dnHasDot) {
    throw fail(`sole wildcard without additional labels are not support: ${pyRepr(dn)}.`);
  }
  if (dnLeftmost !== '*') {
    throw fail(`partial wildcards in leftmost label are not supported: ${pyRepr(dn)}.`);
  }
  const [hostLeftmost, hostHasDot, hostRemainder] = partition(hostname, '.');
  if (hostLeftmost === '' || !hostHasDot) return false;
  return pyLower(dnRemainder) === pyLower(hostRemainder);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function isEmptyCert(cert: DecodedCert | null | undefined): boolean {
  if (cert === null || cert === undefined) return true;
  return Object.values(cert).every((value) => value === undefined);
}

/**
 * Checks that `cert` names `hostname`, as Python 3.11's `ssl.match_hostname` does, and returns
 * nothing when it does.
 *
 * - DNS names: compared case-insensitively; a wildcard only as the whole leftmost label
 *   (`*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`);
 *   partial (`f*.com`, `xn--*.com`), multiple and non-leftmost wildcards throw.
 * - A hostname that is an IP address in canonical form (IPv4 dotted quad, any IPv6 form
 *   `inet_pton` reads) is compared as bytes with the `IP Address` subjectAltNames only.
 * - The subject's commonName is consulted only when there is no DNS and no IP Address
 *   subjectAltName.
 *
 * @param cert - the certificate as `decodeCert` (or Python's `getpeercert()`) gives it.
 * @param hostname - the name the client meant to reach.
 * @throws CertificateError - the certificate does not name `hostname`, or carries a malformed
 *   wildcard; `verifyCode` is 62 (`X509_V_ERR_HOSTNAME_MISMATCH`), or 64
 *   (`X509_V_ERR_IP_ADDRESS_MISMATCH`) for an IP address, `verifyMessage` the message.
 * @throws ValueError - an empty certificate, or an `IP Address` entry that is no IP address
 *   (when `hostname` is one), with Python's message.
 * @throws TypeError - `hostname` is not a string, or `cert` not an object.
 * @example
 * ```ts
 * matchHostname(decodeCert(pem), 'www.example.com'); // throws CertificateError on mismatch
 * ```
 */
export function matchHostname(cert: DecodedCert | null | undefined, hostname: string): void {
  if (cert !== null && cert !== undefined && typeof cert !== 'object') {
    throw typeError('cert', 'a decoded certificate object', cert);
  }
  if (isEmptyCert(cert)) throw new ValueError(EMPTY_CERTIFICATE);
  if (typeof hostname !== 'string') throw typeError('hostname', 'a string', hostname);
  const decoded = cert as DecodedCert;
  let hostIp: Uint8Array | null = null;
  try {
    hostIp = inetPaton(hostname);
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
  }
  const verifyCode =
    hostIp === null ? X509_V_ERR_HOSTNAME_MISMATCH : X509_V_ERR_IP_ADDRESS_MISMATCH;
  const fail = (message: string) =>
    new CertificateError(message, { verifyCode, verifyMessage: message });

  const names: string[] = [];
  for (const [key, value] of decoded.subjectAltName ?? []) {
    if (typeof value !== 'string') continue;
    if (key === 'DNS') {
      if (hostIp === null && dnsnameMatch(value, hostname, fail)) return;
      names.push(value);
    } else if (key === 'IP Address') {
      // OpenSSL may end an IPv6 SAN with a newline; Python strips trailing whitespace.
      if (hostIp !== null && sameBytes(inetPaton(pyRstrip(value)), hostIp)) return;
      names.push(value);
    }
  }
  if (names.length === 0) {
    for (const rdn of decoded.subject ?? []) {
      for (const [key, value] of rdn) {
        if (key !== 'commonName') continue;
        if (dnsnameMatch(value, hostname, fail)) return;
        names.push(value);
      }
    }
  }
  if (names.length > 1) {
    throw fail(
      `hostname ${pyRepr(hostname)} doesn't match either of ${names.map(pyRepr).join(', ')}`,
    );
  }
  if (names.length === 1)
    throw fail(`hostname ${pyRepr(hostname)} doesn't match ${pyRepr(names[0]!)}`);
  throw fail('no appropriate commonName or subjectAltName fields were found');
}
