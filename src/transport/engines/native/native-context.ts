/**
 * Compiles an {@link EngineConfig} into a native SSL_CTX once per config object, as an SSLContext
 * owns one SSL_CTX in CPython. The config's ticket key ring goes to the SSL_CTX's ticket key
 * callback (native/context.c): a new ring makes a new config, so a new SSL_CTX, and handshakes in
 * flight keep the SSL_CTX they started with (docs/architecture.md, Session tickets).
 */
import type { EngineConfig } from '../../sansio/engine.js';
import { type NativeContextHandle, nativeBinding } from './native-binding.js';
import { isNativeErrorDescription, nativeError } from './native-error.js';

const compiled = new WeakMap<EngineConfig, NativeContextHandle>();

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
      credentials: config.credentials.map((c) => ({
        certChainPem: c.certChainPem,
        keyPem: c.keyPem,
        passphrase: c.passphrase,
      })),
      ciphers: config.ciphers,
      ciphersuites: config.ciphersuites,
      groups: config.groups,
      dhParamsPem: config.dhParamsPem,
      alpn: encodeAlpn(config.alpnProtocols),
      numTickets: config.numTickets,
      ticketKeys: Buffer.concat(config.ticketKeys),
      sessionIdContext: config.sessionIdContext,
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
