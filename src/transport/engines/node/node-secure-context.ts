/**
 * Compiles an {@link EngineConfig} into the `tls.SecureContext` the node engine hands to each
 * TLSSocket. Building one costs about a millisecond and a fresh one per connection silently breaks
 * session resumption (docs/architecture.md, node:tls over a Duplex, pitfall 11), so each config is
 * compiled once and cached. The config's ticket key ring goes with it (node-ticket-keys.ts), and
 * its session ID context, the same on every process for one logical server.
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import {
  TLSVersion,
  VERIFY_X509_PARTIAL_CHAIN,
  X509_V_FLAG_CRL_CHECK_ALL,
} from '../../../constants/ssl-constants.js';
import type { EngineConfig } from '../../sansio/engine.js';
import { mapNodeError } from './node-errors.js';
import { installTicketKeyRing } from './node-ticket-keys.js';

/** Per config, per ticket key ring (a config's own, or the one an SNI switch keeps). */
const compiled = new WeakMap<EngineConfig, WeakMap<readonly Buffer[], tls.SecureContext>>();

/** OpenSSL's default TLS 1.3 suites; named so a custom TLS 1.2 cipher list keeps TLS 1.3 on. */
const DEFAULT_TLS13_CIPHERSUITES =
  'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * Python 3.11's default cipher string (`PY_SSL_DEFAULT_CIPHER_STRING`): forward-secret AEAD and
 * CBC suites, no SHA-1 MACs, no anonymous or DSS authentication.
 */
export const PYTHON_DEFAULT_CIPHERS =
  '@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM';

const VERSION_NAMES = new Map<number, tls.SecureVersion>([
  [TLSVersion.TLSv1, 'TLSv1'],
  [TLSVersion.TLSv1_1, 'TLSv1.1'],
  [TLSVersion.TLSv1_2, 'TLSv1.2'],
  [TLSVersion.TLSv1_3, 'TLSv1.3'],
]);

function toPem(der: Buffer, label: string): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/**
 * Node takes the session ID context as a string and hands its UTF-8 bytes to OpenSSL: bytes that
 * are not UTF-8 go as their hex digest instead, still the same on every process.
 */
function sessionIdContextString(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return text;
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/**
 * The SecureContext for `config`, compiled on first use. Throws SSLError on bad material.
 * `ticketKeys`: the ring its tickets use; an SNI switch keeps the first context's ring, as OpenSSL
 * keeps the session context's keys (docs/architecture.md, Session tickets).
 */
export function secureContextFor(
  config: EngineConfig,
  ticketKeys: readonly Buffer[] = config.ticketKeys,
): tls.SecureContext {
  let byRing = compiled.get(config);
  if (!byRing) {
    byRing = new WeakMap();
    compiled.set(config, byRing);
  }
  let context = byRing.get(ticketKeys);
  if (context) return context;
  const tls12Ciphers = config.ciphers ?? PYTHON_DEFAULT_CIPHERS;
  const options: tls.SecureContextOptions = {
    minVersion: VERSION_NAMES.get(config.minVersion) ?? 'TLSv1',
    maxVersion: VERSION_NAMES.get(config.maxVersion) ?? 'TLSv1.3',
    ciphers: `${config.ciphersuites ?? DEFAULT_TLS13_CIPHERSUITES}:${tls12Ciphers}`,
    // An empty list, not undefined: undefined would load Node's bundled Mozilla roots, while a
    // Python context trusts nothing it was not given (docs/architecture.md, node:tls over a Duplex,
    // pitfall 6).
    ca: config.caCerts.map((der) => toPem(der, 'CERTIFICATE')),
    secureOptions: config.options,
    ticketKeys: ticketKeys[0],
  };
  if (config.crls.length > 0 && (config.verifyFlags & X509_V_FLAG_CRL_CHECK_ALL) !== 0) {
    options.crl = config.crls.map((der) => toPem(der, 'X509 CRL'));
  }
  // PARTIAL_CHAIN: an intermediate in the store anchors the chain.
  if ((config.verifyFlags & VERIFY_X509_PARTIAL_CHAIN) !== 0) {
    (options as { allowPartialTrustChain?: boolean }).allowPartialTrustChain = true;
  }
  // Servers only: a client's sessions (PSK ones above all) carry no context, and OpenSSL refuses
  // to resume one whose context differs from the client's own.
  if (config.serverSide === true) {
    options.sessionIdContext = sessionIdContextString(config.sessionIdContext);
  }
  if (config.groups !== undefined) options.ecdhCurve = config.groups;
  if (config.dhParamsPem !== undefined) options.dhparam = config.dhParamsPem;
  // node:tls loads each chain and key into the SSL_CTX's slot of its key type, as OpenSSL does.
  if (config.credentials.length > 0) {
    options.cert = config.credentials.map((c) => c.certChainPem);
    options.key = config.credentials.map((c) => ({
      pem: c.keyPem,
      ...(c.passphrase !== undefined ? { passphrase: c.passphrase } : {}),
    }));
  }
  try {
    context = tls.createSecureContext(options);
  } catch (error) {
    throw mapNodeError(error);
  }
  installTicketKeyRing(context, ticketKeys);
  byRing.set(ticketKeys, context);
  return context;
}
