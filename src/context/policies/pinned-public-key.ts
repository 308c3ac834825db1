/**
 * Public key pinning (HPKP-style pins: base64 of the SHA-256 of the certificate's
 * SubjectPublicKeyInfo). OpenSSL has no notion of pins, so the policy registers a peer check on
 * the context (`SSLContext.addPeerCheck`) that runs once the handshake completes, after OpenSSL's
 * verification and the hostname check, and fails the connection on a mismatch.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CERT_REQUIRED } from '../../constants/ssl-constants.js';
import { type SSLCertVerificationError, typeError, ValueError } from '../../errors/errors.js';
import type { SSLObject } from '../../transport/sansio/ssl-object.js';
import { peerCheckError } from '../peer-checks.js';
import type { SSLContext } from '../ssl-context.js';
import type { TlsPolicy } from '../tls-policy.js';

const SHA256_LENGTH = 32;
/** The prefix pins carry in HPKP headers and in OkHttp/curl configuration; optional here. */
const PIN_PREFIX = 'sha256/';

/**
 * The pin of a certificate: base64 of the SHA-256 of its SubjectPublicKeyInfo (DER), the value
 * `openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`
 * prints.
 *
 * @example
 * ```ts
 * const pin = publicKeyPin(readFileSync('server.pem', 'latin1')); // 'n4bQgYhMfWWaL+qgxVrQFaO/...='
 * ```
 */
export function publicKeyPin(cert: string | Uint8Array): string {
  if (typeof cert !== 'string' && !(cert instanceof Uint8Array)) {
    throw typeError('cert', 'PEM text or DER bytes', cert);
  }
  const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** A pin as given (with or without `sha256/`) in its canonical form; ValueError if malformed. */
function normalisePin(pin: string): string {
  if (typeof pin !== 'string') throw typeError('pin', 'a base64 string', pin);
  const bare = pin.startsWith(PIN_PREFIX) ? pin.slice(PIN_PREFIX.length) : pin;
  const digest = Buffer.from(bare, 'base64');
  if (digest.length !== SHA256_LENGTH || digest.toString('base64') !== bare) {
    throw new ValueError(`'${pin}' is not a SHA-256 public key pin (44 characters of base64)`);
  }
  return bare;
}

function pinMismatch(detail: string): SSLCertVerificationError {
  return peerCheckError('certificate pin mismatch', detail);
}

/**
 * Throws SSLCertVerificationError `certificate pin mismatch` unless the peer's leaf key is one of
 * `pins` (a completed handshake is required). The check {@link PinnedPublicKey} registers; usable
 * on its own after `doHandshake()`.
 */
export function checkPin(sslobj: SSLObject, pins: ReadonlySet<string>): void {
  const leaf = sslobj.getpeercert(true);
  if (!leaf) throw pinMismatch('the peer sent no certificate');
  const pin = publicKeyPin(leaf);
  if (!pins.has(pin)) {
    const count = pins.size === 1 ? 'the pinned key' : `any of the ${pins.size} pinned keys`;
    throw pinMismatch(`the peer's key sha256/${pin} is not ${count}`);
  }
}

/**
 * Accepts only a peer whose leaf certificate's public key is pinned, on top of normal
 * verification (`CERT_REQUIRED`: a pin narrows trust, never replaces it). Meant for clients; on
 * a server it pins client certificates. Pin the backup key too, so a key rotation needs no
 * release.
 *
 * @example
 * ```ts
 * container.register(CLIENT_POLICY, {
 *   useValue: new PinnedPublicKey(['n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=']),
 * });
 * ```
 */
export class PinnedPublicKey implements TlsPolicy {
  readonly name = 'pinned-public-key';
  readonly #pins: ReadonlySet<string>;

  constructor(pins: Iterable<string>) {
    if (typeof pins !== 'object' || pins === null || !(Symbol.iterator in pins)) {
      throw typeError('pins', 'a list of base64 SHA-256 pins', pins);
    }
    this.#pins = new Set([...pins].map(normalisePin));
    if (this.#pins.size === 0) throw new ValueError('PinnedPublicKey needs at least one pin');
  }

  /** The accepted pins, canonical (without `sha256/`). */
  get pins(): readonly string[] {
    return [...this.#pins];
  }

  apply(ctx: SSLContext): void {
    ctx.verifyMode = CERT_REQUIRED;
    const pins = this.#pins;
    ctx.addPeerCheck((sslobj) => checkPin(sslobj, pins));
  }
}
