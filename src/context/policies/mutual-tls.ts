/**
 * Mutual TLS: both sides prove who they are with certificates from a CA they agree on.
 */
import { CERT_REQUIRED, PROTOCOL_TLS_CLIENT } from '../../constants/ssl-constants.js';
import { typeError, ValueError } from '../../errors/errors.js';
import {
  type CertificateSource,
  loadCertificate,
  loadTrust,
  type TrustSource,
} from '../context-options.js';
import type { SSLContext } from '../ssl-context.js';
import type { TlsPolicy } from '../tls-policy.js';

/** What {@link MutualTls} is built from. */
export interface MutualTlsOptions {
  /** The CA(s) that issue the peers' certificates: clients' on a server, the server's on a client. */
  ca: TrustSource;
  /** This side's certificate: required on clients, ignored on servers (their own comes elsewhere). */
  certificate?: CertificateSource;
}

/**
 * Servers: require a client certificate issued by `ca` (`CERT_REQUIRED`; a client without one
 * fails the handshake with PEER_DID_NOT_RETURN_A_CERTIFICATE). Clients: present `certificate`
 * and trust `ca` for the server. One policy object serves both sides of a deployment.
 *
 * @example
 * ```ts
 * const mtls = new MutualTls({
 *   ca: { cafile: 'ca.pem' },
 *   certificate: { certfile: 'client.pem', keyfile: 'client-key.pem' },
 * });
 * container.register(SERVER_POLICY, { useValue: combinePolicies(new MozillaIntermediate(), mtls) });
 * container.register(CLIENT_POLICY, { useValue: mtls });
 * ```
 */
export class MutualTls implements TlsPolicy {
  readonly name = 'mutual-tls';
  readonly #ca: TrustSource;
  readonly #certificate: CertificateSource | undefined;

  constructor(options: MutualTlsOptions) {
    if (typeof options?.ca !== 'object' || options.ca === null) {
      throw typeError('options.ca', 'a trust source ({ cafile, capath or cadata })', options?.ca);
    }
    const { cafile, capath, cadata } = options.ca;
    if (cafile === undefined && capath === undefined && cadata === undefined) {
      throw new ValueError(
        'MutualTls needs the CA of the peers: ca.cafile, ca.capath or ca.cadata',
      );
    }
    this.#ca = { ...options.ca };
    this.#certificate = options.certificate;
  }

  apply(ctx: SSLContext): void {
    if (ctx.protocol === PROTOCOL_TLS_CLIENT) {
      if (!this.#certificate) {
        throw new ValueError('MutualTls on a client context needs options.certificate');
      }
      loadCertificate(ctx, this.#certificate);
    } else {
      ctx.verifyMode = CERT_REQUIRED;
    }
    loadTrust(ctx, this.#ca);
  }
}
