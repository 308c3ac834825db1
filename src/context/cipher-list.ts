/**
 * Python's `get_ciphers()` for a context: which suites, in which order. OpenSSL's cipher-string
 * language is best evaluated by OpenSSL itself, so the context's policy is asked to start a
 * handshake in memory and the suites its ClientHello offers are read back and described from a
 * table generated from Python (cipher-table.ts). SRP suites, which Node cannot negotiate, are the
 * one thing a ClientHello never shows, so they are missing from the list.
 */
import { createNodeEngine } from '../transport/node-engine.js';
import type { EngineConfig } from '../transport/engine.js';
import { SSLWantReadError } from '../transport/errors.js';
import { MemoryBIO } from '../transport/memory-bio.js';
import { CIPHERS_BY_SUITE, type CipherInfo } from './cipher-table.js';

/** Record header (5) + handshake header (4) + client_version (2) + random (32). */
const SESSION_ID_OFFSET = 5 + 4 + 2 + 32;

/** The suites of a ClientHello, as 16-bit numbers, in order. */
function offeredSuites(clientHello: Buffer): number[] {
  const sessionIdLength = clientHello[SESSION_ID_OFFSET] ?? 0;
  const listOffset = SESSION_ID_OFFSET + 1 + sessionIdLength;
  const listLength = clientHello.readUInt16BE(listOffset);
  const suites: number[] = [];
  for (let i = 0; i < listLength; i += 2) suites.push(clientHello.readUInt16BE(listOffset + 2 + i));
  return suites;
}

/** The ciphers `config` enables, most preferred first, as Python describes them. */
export function describeCiphers(config: EngineConfig): CipherInfo[] {
  const probe: EngineConfig = {
    ...config,
    serverSide: false,
    maxVersion: 0x0304,
    verifyMode: 0,
    checkHostname: false,
    credentials: undefined,
    sni: undefined,
    keylog: undefined,
    // OpenSSL offers PSK suites only when a PSK callback is set; it is never called here.
    pskClient: () => null,
  };
  const outgoing = new MemoryBIO();
  const engine = createNodeEngine(
    probe,
    { serverSide: false, serverHostname: null, session: null },
    new MemoryBIO(),
    outgoing,
  );
  try {
    engine.doHandshake();
  } catch (error) {
    if (!(error instanceof SSLWantReadError)) throw error;
  } finally {
    engine.destroy();
  }
  return offeredSuites(outgoing.read()).flatMap((suite) => {
    const info = CIPHERS_BY_SUITE.get(suite);
    return info ? [{ ...info }] : [];
  });
}
