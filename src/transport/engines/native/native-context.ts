/**
 * Compiles an {@link EngineConfig} into a native SSL_CTX once per config object, as an SSLContext
 * owns one SSL_CTX in CPython. Configs that share a `sessionCacheId` share session ticket keys, so
 * a session made through one resumes through another.
 */
import { randomBytes } from 'node:crypto';
import type { EngineConfig } from '../../sansio/engine.js';
import { type NativeContextHandle, nativeBinding } from './native-binding.js';
import { isNativeErrorDescription, nativeError } from './native-error.js';

/** SSL_CTX_set_tlsext_ticket_keys: a 16-byte name, a 32-byte HMAC key and a 32-byte AES key. */
const TICKET_KEYS_LENGTH = 80;

const compiled = new WeakMap<EngineConfig, NativeContextHandle>();
const ticketKeys = new WeakMap<object, Buffer>();

function ticketKeysFor(owner: object): Buffer {
  let keys = ticketKeys.get(owner);
  if (keys === undefined) {
    keys = randomBytes(TICKET_KEYS_LENGTH);
    ticketKeys.set(owner, keys);
  }
  return keys;
}

/**
 * ALPN's wire format: length-prefixed names. SSLContext.setAlpnProtocols has checked that each
 * is 1 to 255 bytes, as Python's set_alpn_protocols does.
 */
export function encodeAlpn(protocols: readonly string[] | undefined): Buffer | undefined {
  if (protocols === undefined || protocols.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const protocol of protocols) {
    const name = Buffer.from(protocol, 'utf8');
    parts.push(Buffer.from([name.length]), name);
  }
  return Buffer.concat(parts);
}

/**
 * The SSL_CTX for `config`, compiled on first use and cached for the config's lifetime.
 * Throws the SSLError Python raises for the same settings (a wrong key password, a key that does
 * not match the certificate, a cipher string that selects nothing).
 */
export function compileNativeContext(config: EngineConfig): NativeContextHandle {
  const cached = compiled.get(config);
  if (cached !== undefined) return cached;
  const credentials = config.credentials;
  let handle: NativeContextHandle;
  try {
    handle = nativeBinding().newContext({
      side: config.serverSide === undefined ? -1 : config.serverSide ? 1 : 0,
      options: config.options,
      minVersion: config.minVersion,
      maxVersion: config.maxVersion,
      verifyMode: config.verifyMode,
      verifyFlags: config.verifyFlags,
      hostnameChecksCommonName: config.hostnameChecksCommonName,
      caCerts: config.caCerts,
      crls: config.crls,
      certChainPem: credentials?.certChainPem,
      keyPem: credentials?.keyPem,
      passphrase: credentials?.passphrase,
      ciphers: config.ciphers,
      ciphersuites: config.ciphersuites,
      groups: config.groups,
      dhParamsPem: config.dhParamsPem,
      alpn: encodeAlpn(config.alpnProtocols),
      numTickets: config.numTickets,
      ticketKeys: ticketKeysFor(config.sessionCacheId),
      keylog: config.keylog !== undefined,
      sni: config.sni !== undefined,
      clientHello: config.clientHello !== undefined,
      pskClient: config.pskClient !== undefined,
      pskServer: config.pskServer !== undefined,
      pskIdentityHint: config.pskIdentityHint,
      postHandshakeAuth: config.postHandshakeAuth,
    });
  } catch (error) {
    if (isNativeErrorDescription(error)) throw nativeError(error);
    throw error;
  }
  compiled.set(config, handle);
  return handle;
}
