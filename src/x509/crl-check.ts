/**
 * VERIFY_CRL_CHECK_LEAF as Python documents it: only the peer's own certificate needs a CRL, from
 * its issuer. Node's OpenSSL can only check CRLs for the whole chain, so for LEAF the node engine
 * runs this check where OpenSSL checks revocation.
 */
import 'reflect-metadata';
import { createPublicKey, verify, X509Certificate as NodeX509 } from 'node:crypto';
import { KeyUsageFlags, KeyUsagesExtension, X509Certificate, X509Crl } from '@peculiar/x509';
import {
  X509_V_ERR_CERT_REVOKED,
  X509_V_ERR_CRL_HAS_EXPIRED,
  X509_V_ERR_CRL_NOT_YET_VALID,
  X509_V_ERR_KEYUSAGE_NO_CRL_SIGN,
  X509_V_ERR_UNABLE_TO_GET_CRL,
  X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
} from '../errors/verify-codes.js';
import { DerReader } from './der.js';

/** Why the leaf's revocation check failed: an X509_V_ERR code, as OpenSSL reports it. */
export interface RevocationFailure {
  readonly code: number;
}

interface ParsedCrl {
  crl: X509Crl;
  tbs: Uint8Array;
  signature: Buffer;
}

function parse(der: Buffer): ParsedCrl | undefined {
  try {
    const outer = new DerReader(der, 'CRL').read();
    const parts = DerReader.within(outer, 'CRL');
    const tbs = parts.read();
    parts.read(); // signatureAlgorithm
    const signatureBits = parts.read();
    return {
      crl: new X509Crl(der),
      tbs: outer.value.subarray(tbs.start, tbs.end),
      // A BIT STRING's first octet counts its unused bits; signatures use whole octets.
      signature: Buffer.from(signatureBits.value.subarray(1)),
    };
  } catch {
    return undefined;
  }
}

function signedBy(parsed: ParsedCrl, issuerDer: Buffer): boolean {
  const hash = (parsed.crl.signatureAlgorithm as { hash?: { name?: string } }).hash?.name;
  const algorithm = hash ? hash.replace('-', '').toLowerCase() : null;
  try {
    const key = createPublicKey(
      new NodeX509(issuerDer).publicKey.export({ format: 'pem', type: 'spki' }),
    );
    return verify(algorithm, parsed.tbs, key, parsed.signature);
  } catch {
    return false;
  }
}

/** CRL extensions OpenSSL handles when critical: issuingDistributionPoint, AKI, deltaCRLIndicator. */
const HANDLED_CRITICAL_CRL_EXTENSIONS = new Set(['2.5.29.28', '2.5.29.35', '2.5.29.27']);
/** The one CRL entry extension OpenSSL handles when critical: certificateIssuer. */
const HANDLED_CRITICAL_ENTRY_EXTENSIONS = new Set(['2.5.29.29']);

/** OpenSSL's EXFLAG_CRITICAL of a CRL: a critical extension it does not handle, on it or an entry. */
function hasUnhandledCritical(crl: X509Crl): boolean {
  const unhandled = (handled: ReadonlySet<string>) => (e: { type: string; critical: boolean }) =>
    e.critical && !handled.has(e.type);
  return (
    crl.extensions.some(unhandled(HANDLED_CRITICAL_CRL_EXTENSIONS)) ||
    crl.entries.some((entry) => entry.extensions.some(unhandled(HANDLED_CRITICAL_ENTRY_EXTENSIONS)))
  );
}

/** Whether the issuer may sign CRLs: no keyUsage at all, or one with cRLSign (OpenSSL's rule). */
function maySignCrls(issuerDer: Buffer): boolean {
  const usage = new X509Certificate(issuerDer).getExtension(KeyUsagesExtension);
  return usage === null || (usage.usages & KeyUsageFlags.cRLSign) !== 0;
}

/**
 * The leaf-only revocation check over `crls` (DER): 3 when no valid CRL from the leaf's issuer is
 * loaded, 35 when that issuer's keyUsage lacks cRLSign, 11/12 when the only CRLs are not yet or no
 * longer valid, 36 when one has a critical extension OpenSSL does not handle, 23 when the leaf is
 * revoked.
 */
export function leafRevocationCheck(
  crls: readonly Buffer[],
  now: () => Date = () => new Date(),
): (chain: readonly Buffer[]) => RevocationFailure | undefined {
  const parsed = crls.map(parse).filter((p): p is ParsedCrl => p !== undefined);
  return (chain) => {
    const [leafDer, issuerDer] = chain;
    if (!leafDer || !issuerDer) return { code: X509_V_ERR_UNABLE_TO_GET_CRL };
    const leaf = new X509Certificate(leafDer);
    const candidates = parsed.filter((p) => p.crl.issuer === leaf.issuer && signedBy(p, issuerDer));
    if (candidates.length === 0) return { code: X509_V_ERR_UNABLE_TO_GET_CRL };
    // OpenSSL's order (check_crl, then cert_crl): the issuer's key usage, the CRL's times, its
    // critical extensions, then the revocation itself.
    if (!maySignCrls(issuerDer)) return { code: X509_V_ERR_KEYUSAGE_NO_CRL_SIGN };
    const at = now();
    const current = candidates.filter(
      (p) => p.crl.thisUpdate <= at && (p.crl.nextUpdate === undefined || p.crl.nextUpdate >= at),
    );
    if (current.length === 0) {
      const early = candidates.some((p) => p.crl.thisUpdate > at);
      return { code: early ? X509_V_ERR_CRL_NOT_YET_VALID : X509_V_ERR_CRL_HAS_EXPIRED };
    }
    if (current.some((p) => hasUnhandledCritical(p.crl))) {
      return { code: X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION };
    }
    if (current.some((p) => p.crl.findRevoked(leaf) !== null))
      return { code: X509_V_ERR_CERT_REVOKED };
    return undefined;
  };
}
