/**
 * Python's `get_ciphers()` for a context: which suites, in which order. OpenSSL's cipher-string
 * language is best evaluated by OpenSSL itself, so the context's policy is asked to start a
 * handshake in memory and the suites its ClientHello offers are read back and described from a
 * table generated from Python (cipher-table.ts). SRP suites, which Node cannot negotiate, are the
 * one thing a ClientHello never shows, so they are missing from the list.
 */
import { CERT_NONE, TLSVersion } from '../constants/ssl-constants.js';
import { parseClientHello } from '../transport/sansio/client-hello.js';
import { engineFactory } from '../transport/engines/engines.js';
import type { EngineConfig } from '../transport/sansio/engine.js';
import { isWouldBlock } from '../errors/errors.js';
import { MemoryBIO } from '../transport/sansio/memory-bio.js';
import { CIPHERS_BY_SUITE, type CipherInfo } from './cipher-table.js';

/** The ciphers `config` enables, most preferred first, as Python describes them. */
export function describeCiphers(config: EngineConfig): CipherInfo[] {
  const probe: EngineConfig = {
    ...config,
    serverSide: false,
    maxVersion: TLSVersion.TLSv1_3,
    verifyMode: CERT_NONE,
    checkHostname: false,
    credentials: [],
    sni: undefined,
    clientHello: undefined,
    keylog: undefined,
    // OpenSSL offers PSK suites only when a PSK callback is set; it is never called here.
    pskClient: () => null,
  };
  const outgoing = new MemoryBIO();
  // The node engine runs everywhere; both engines offer what the same OpenSSL makes of the config.
  const engine = engineFactory('node')(
    probe,
    { serverSide: false, serverHostname: null, session: null },
    new MemoryBIO(),
    outgoing,
  );
  try {
    engine.doHandshake();
  } catch (error) {
    if (!isWouldBlock(error)) throw error;
  } finally {
    engine.destroy();
  }
  const hello = parseClientHello(outgoing.read());
  return (hello?.suites ?? []).flatMap((suite) => {
    const info = CIPHERS_BY_SUITE.get(suite);
    return info ? [{ ...info }] : [];
  });
}
