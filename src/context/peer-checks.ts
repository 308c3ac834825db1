/**
 * rxtls's peer checks (certificate pinning, policies): application checks of the peer a context
 * runs once the handshake completes, and the error a failed one reports.
 */
import { SSLCertVerificationError, SSLError } from '../errors/errors.js';
import { X509_V_ERR_APPLICATION_VERIFICATION } from '../errors/verify-codes.js';
import type { SSLObject } from '../transport/sansio/ssl-object.js';
import type { SSLContext } from './ssl-context.js';

/**
 * An application check of the peer, run once its handshake completes (after OpenSSL's
 * verification and the hostname check): throwing fails the connection. rxtls's addition, used by
 * certificate pinning; an error that is not an SSLError becomes an SSLCertVerificationError.
 */
export type PeerCheck = (sslobj: SSLObject<SSLContext>) => void;

/**
 * The error a failed {@link PeerCheck} reports: SSLCertVerificationError with reason
 * CERTIFICATE_VERIFY_FAILED, `verifyCode` 50 (X509_V_ERR_APPLICATION_VERIFICATION) and
 * `verifyMessage`; `detail`, if any, follows in parentheses in the message.
 */
export function peerCheckError(
  verifyMessage: string,
  detail?: string,
  cause?: unknown,
): SSLCertVerificationError {
  const suffix = detail === undefined ? '' : ` (${detail})`;
  return new SSLCertVerificationError(`certificate verify failed: ${verifyMessage}${suffix}`, {
    library: 'SSL',
    reason: 'CERTIFICATE_VERIFY_FAILED',
    verifyCode: X509_V_ERR_APPLICATION_VERIFICATION,
    verifyMessage,
    cause,
  });
}

/** Runs each check in turn; the first to throw fails the connection with its error. */
export function runPeerChecks(checks: readonly PeerCheck[], sslobj: SSLObject<SSLContext>): void {
  for (const check of checks) {
    try {
      check(sslobj);
    } catch (error) {
      if (error instanceof SSLError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw peerCheckError(message, undefined, error);
    }
  }
}
