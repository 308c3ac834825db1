/**
 * Mozilla's Server Side TLS guidelines (version 5.7) as policies: Modern (TLS 1.3 only),
 * Intermediate (TLS 1.2 and 1.3, forward-secret AEAD suites: the general-purpose choice) and Old
 * (back to TLS 1.0 for very old clients). Each sets the version range, the TLS 1.2-and-below
 * cipher list, the key-exchange groups and who chooses the cipher; TLS 1.3 suites keep OpenSSL's
 * default set, which is the profiles' set. The profiles suit clients as well as servers.
 *
 * DHE suites need finite-field parameters on a server (`ctx.loadDhParams(file)`, Mozilla suggests
 * RFC 7919's ffdhe2048); without them a server simply never picks a DHE suite.
 */
import { OP_CIPHER_SERVER_PREFERENCE, TLSVersion } from '../../constants/ssl-constants.js';
import type { SSLContext } from '../ssl-context.js';
import type { TlsPolicy } from '../tls-policy.js';

/** The guidelines version these profiles follow. */
export const MOZILLA_GUIDELINES_VERSION = '5.7';

/** Key-exchange groups of every profile, in preference order. */
export const MOZILLA_GROUPS = 'X25519:prime256v1:secp384r1';

/** Intermediate's TLS 1.2 suites: ECDHE and DHE key exchange, AEAD ciphers only. */
export const MOZILLA_INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Old's suites for TLS 1.0 to 1.2, in the profile's order (which matters: the server chooses). */
export const MOZILLA_OLD_CIPHERS = [
  MOZILLA_INTERMEDIATE_CIPHERS,
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA256',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA256',
  'AES256-SHA256',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
].join(':');

/**
 * OpenSSL 3 refuses TLS 1.0 and 1.1 (their handshake signatures use SHA-1) and 3DES at security
 * level 1 and above. Old needs level 0, which WEAKENS SECURITY: it also admits short keys and
 * SHA-1 certificate signatures. That is the price of the clients Old exists for.
 */
const SECURITY_LEVEL_0 = '@SECLEVEL=0';

/** What distinguishes one profile from another. */
interface MozillaProfile {
  readonly minimumVersion: TLSVersion;
  /** Cipher string for TLS 1.2 and below, or undefined when the profile has no such versions. */
  readonly ciphers: string | undefined;
  /** Whether the server's cipher order wins (Old) or the client's (Modern, Intermediate). */
  readonly serverPreference: boolean;
}

function applyProfile(ctx: SSLContext, profile: MozillaProfile): void {
  ctx.minimumVersion = profile.minimumVersion;
  ctx.maximumVersion = TLSVersion.TLSv1_3;
  if (profile.ciphers !== undefined) ctx.setCiphers(profile.ciphers);
  ctx.setEcdhCurve(MOZILLA_GROUPS);
  ctx.options = profile.serverPreference
    ? ctx.options | OP_CIPHER_SERVER_PREFERENCE
    : ctx.options & ~OP_CIPHER_SERVER_PREFERENCE;
}

/**
 * Mozilla Modern: TLS 1.3 only, the client picks among OpenSSL's TLS 1.3 suites. For services
 * whose clients are all recent (2019 and later: Firefox 63, Chrome 70, Java 11, OpenSSL 1.1.1).
 *
 * @example
 * ```ts
 * container.register(SERVER_POLICY, { useValue: new MozillaModern() });
 * ```
 */
export class MozillaModern implements TlsPolicy {
  readonly name = 'mozilla-modern';
  apply(ctx: SSLContext): void {
    applyProfile(ctx, {
      minimumVersion: TLSVersion.TLSv1_3,
      ciphers: undefined,
      serverPreference: false,
    });
  }
}

/**
 * Mozilla Intermediate, the recommended general-purpose profile: TLS 1.2 and 1.3, ECDHE/DHE key
 * exchange with AES-GCM or ChaCha20-Poly1305, the client's cipher preference. rxtls's default
 * for servers.
 */
export class MozillaIntermediate implements TlsPolicy {
  readonly name = 'mozilla-intermediate';
  apply(ctx: SSLContext): void {
    applyProfile(ctx, {
      minimumVersion: TLSVersion.TLSv1_2,
      ciphers: MOZILLA_INTERMEDIATE_CIPHERS,
      serverPreference: false,
    });
  }
}

/**
 * Mozilla Old: TLS 1.0 to 1.3 with CBC, static-RSA and 3DES suites, in the server's order, for
 * very old clients (Windows XP, Java 6). It sets OpenSSL's security level 0, which weakens
 * security beyond the profile itself (see above): use it only where those clients must connect.
 */
export class MozillaOld implements TlsPolicy {
  readonly name = 'mozilla-old';
  apply(ctx: SSLContext): void {
    applyProfile(ctx, {
      minimumVersion: TLSVersion.TLSv1,
      ciphers: `${MOZILLA_OLD_CIPHERS}:${SECURITY_LEVEL_0}`,
      serverPreference: true,
    });
  }
}
