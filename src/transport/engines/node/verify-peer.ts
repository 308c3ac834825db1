/**
 * The node engine's verdict on its peer, as OpenSSL (and so Python) would give it: Node accepts
 * every chain and reports one verify error, its last; this file orders that error among OpenSSL's
 * checks, adds the hostname check Python configures, and runs the policy's own peer check.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type tls from 'node:tls';
import { CERT_NONE, CERT_REQUIRED } from '../../../constants/ssl-constants.js';
import { SSLCertVerificationError, SSLError } from '../../../errors/errors.js';
import {
  verifyCodeOf,
  verifyCodesNamed,
  verifyMessageFor,
  verifyMessageOf,
  X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
  X509_V_ERR_HOSTNAME_MISMATCH,
  X509_V_ERR_IP_ADDRESS_MISMATCH,
  X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
  X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
  X509_V_ERR_UNSPECIFIED,
} from '../../../errors/verify-codes.js';
import type { EngineConfig, EngineRole } from '../../sansio/engine.js';

/** What a TLSSocket's verifyError() returns when the chain did not verify. */
export type NodeVerifyError = Error & { code?: string };

/** The verify error OpenSSL left on the socket (Node keeps it on its handle, unexposed). */
export function verifyErrorOf(socket: tls.TLSSocket): NodeVerifyError | null | undefined {
  const handle = (socket as unknown as { _handle?: { verifyError(): NodeVerifyError | null } })
    ._handle;
  return handle?.verifyError();
}

/**
 * Python's verification verdict for the handshake that just finished, or undefined if fine.
 * Node reports one error (its last); OpenSSL stops at the first, checking in this order
 * (x509_vfy.c verify_chain): chain building, extensions and purpose, hostname, revocation, then
 * signatures and validity times. The node error is placed in that order by its kind.
 *
 * @param verifyError what the TLSSocket's verifyError() reported (Node accepts every chain and
 *   leaves the verdict to this function)
 * @param peerCert the peer's certificate with its chain, null if it sent none
 */
export function verifyPeer(
  verifyError: NodeVerifyError | null | undefined,
  peerCert: tls.DetailedPeerCertificate | null,
  config: EngineConfig,
  role: EngineRole,
): SSLError | undefined {
  if (config.verifyMode === CERT_NONE) return undefined;
  if (!peerCert) {
    if (role.serverSide && config.verifyMode === CERT_REQUIRED) {
      return new SSLError('peer did not return a certificate', {
        reason: 'PEER_DID_NOT_RETURN_A_CERTIFICATE',
      });
    }
    return undefined;
  }
  let nodeCode: number | undefined;
  if (verifyError) {
    const last =
      verifyCodeOf(verifyError.message) ??
      verifyCodeOf(verifyError.code ?? '') ??
      X509_V_ERR_UNSPECIFIED;
    nodeCode = firstVerifyError(last, peerCert);
  }
  const failed = (code: number, message = verifyMessageOf(code)) =>
    SSLCertVerificationError.fromVerifyResult(code, message, verifyError ?? undefined);
  const stage = nodeCode === undefined ? Stage.None : stageOf(nodeCode);
  if (nodeCode !== undefined && stage <= Stage.Extensions) return failed(nodeCode);
  const name = role.serverHostname;
  if (!role.serverSide && config.checkHostname && name !== null) {
    const mismatch = hostnameMismatch(
      parsedCertificate(peerCert.raw),
      name,
      config.hostnameChecksCommonName,
    );
    if (mismatch !== undefined) {
      return SSLCertVerificationError.fromVerifyResult(mismatch, verifyMessageFor(mismatch, name));
    }
  }
  if (nodeCode !== undefined && stage === Stage.Revocation) return failed(nodeCode);
  const policyFailure = config.peerCheck?.(chainOf(peerCert));
  if (policyFailure) return failed(policyFailure.code, policyFailure.message);
  if (nodeCode !== undefined) return failed(nodeCode);
  return undefined;
}

/** Where in OpenSSL's verify_chain() an error arises. */
enum Stage {
  None = 0,
  Chain = 1,
  Extensions = 2,
  Revocation = 3,
  Signatures = 4,
}

/** X509_V_ERR codes by the verify_chain() step that reports them. */
const CHAIN_ERRORS = verifyCodesNamed(
  'UNABLE_TO_GET_ISSUER_CERT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LOOP',
);
const EXTENSION_ERRORS = verifyCodesNamed(
  'NO_ISSUER_PUBLIC_KEY',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'KEYUSAGE_NO_CERTSIGN',
  'UNHANDLED_CRITICAL_EXTENSION',
  'INVALID_NON_CA',
  'PROXY_PATH_LENGTH_EXCEEDED',
  'KEYUSAGE_NO_DIGITAL_SIGNATURE',
  'PROXY_CERTIFICATES_NOT_ALLOWED',
  'INVALID_EXTENSION',
  'INVALID_POLICY_EXTENSION',
  'NO_EXPLICIT_POLICY',
  'INVALID_CA',
  'PATHLEN_INVALID_FOR_NON_CA',
  'PATHLEN_WITHOUT_KU_KEY_CERT_SIGN',
  'KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA',
);
const REVOCATION_ERRORS = verifyCodesNamed(
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'CRL_SIGNATURE_FAILURE',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'CERT_REVOKED',
  'UNABLE_TO_GET_CRL_ISSUER',
  'KEYUSAGE_NO_CRL_SIGN',
  'UNHANDLED_CRITICAL_CRL_EXTENSION',
  'DIFFERENT_CRL_SCOPE',
  'CRL_PATH_VALIDATION_ERROR',
);

function stageOf(code: number): Stage {
  if (CHAIN_ERRORS.has(code)) return Stage.Chain;
  if (EXTENSION_ERRORS.has(code)) return Stage.Extensions;
  if (REVOCATION_ERRORS.has(code)) return Stage.Revocation;
  return Stage.Signatures;
}

/** How many parsed peer certificates {@link parsedCertificate} keeps. */
const PARSED_CERTIFICATE_CACHE_SIZE = 16;
const parsedCertificates = new Map<string, X509Certificate>();

/**
 * The peer certificate as an X509Certificate for the hostname check. Building one costs about
 * 100 us, half the JavaScript-visible cost of a client handshake, and a client usually meets the
 * same few servers again (connection pools): keep the most recent few, keyed by the whole DER
 * (X509Certificate is immutable, so sharing one changes nothing).
 */
function parsedCertificate(der: Buffer): X509Certificate {
  const key = der.toString('latin1');
  let cert = parsedCertificates.get(key);
  if (cert) {
    parsedCertificates.delete(key); // re-inserted below as the most recent
  } else {
    cert = new X509Certificate(der);
    if (parsedCertificates.size >= PARSED_CERTIFICATE_CACHE_SIZE) {
      const oldest = parsedCertificates.keys().next().value as string;
      parsedCertificates.delete(oldest);
    }
  }
  parsedCertificates.set(key, cert);
  return cert;
}

/**
 * Node keeps the LAST verification error of the chain, OpenSSL (and so Python) stops at the
 * FIRST (docs/architecture.md, node:tls over a Duplex, pitfall 3). The common divergence is a
 * leaf whose issuer is unknown: OpenSSL first reports 20 (or 18 for a self-signed leaf), and only
 * an application that continues past it sees 21. Other multi-error chains may still differ on
 * this engine; the native engine is exact.
 */
function firstVerifyError(last: number, leaf: tls.DetailedPeerCertificate): number {
  if (last !== X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) return last;
  const selfSigned = JSON.stringify(leaf.subject) === JSON.stringify(leaf.issuer);
  return selfSigned
    ? X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    : X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
}

/** The peer chain Node assembled (leaf first), without the self-reference at a root. */
export function chainOf(leaf: tls.DetailedPeerCertificate | null): Buffer[] {
  const chain: Buffer[] = [];
  let cert = leaf;
  const seen = new Set<tls.DetailedPeerCertificate>();
  while (cert && Object.keys(cert).length > 0 && !seen.has(cert)) {
    seen.add(cert);
    chain.push(cert.raw);
    cert = cert.issuerCertificate ?? null;
  }
  return chain;
}

/**
 * OpenSSL's host check as Python configures it: X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, the
 * subject's commonName only when allowed and only without DNS names, IP addresses against IP
 * SANs. Returns the X509_V_ERR code of a mismatch, undefined when the name matches.
 */
function hostnameMismatch(
  peer: X509Certificate,
  name: string,
  checksCommonName: boolean,
): number | undefined {
  if (isIP(name) !== 0) {
    return peer.checkIP(name) === undefined ? X509_V_ERR_IP_ADDRESS_MISMATCH : undefined;
  }
  const matched = peer.checkHost(name, {
    subject: checksCommonName ? 'default' : 'never',
    wildcards: true,
    partialWildcards: false,
    multiLabelWildcards: false,
    singleLabelSubdomains: false,
  });
  return matched === undefined ? X509_V_ERR_HOSTNAME_MISMATCH : undefined;
}

/**
 * The chain as the peer sent it, leaf first. Node completes the chain from the trust store;
 * Python reports only what the peer sent, and peers rarely send the root: drop a trailing
 * self-signed certificate we already trust.
 */
export function sentChainOf(
  leaf: tls.DetailedPeerCertificate | null,
  caCerts: readonly Buffer[],
): Buffer[] {
  const chain = chainOf(leaf);
  const trusted = new Set(caCerts.map((der) => der.toString('base64')));
  while (chain.length > 1 && trusted.has((chain[chain.length - 1] as Buffer).toString('base64'))) {
    chain.pop();
  }
  return chain;
}
