/**
 * What the node engine keeps of a completed handshake: read from the TLSSocket once, at its
 * 'secure' event, so the information calls never ask Node again.
 */
import type tls from 'node:tls';
import { CERT_NONE } from '../../../constants/ssl-constants.js';
import type { CipherTuple, EngineConfig, EngineRole } from '../../sansio/engine.js';
import { cipherBits } from './cipher-bits.js';
import { chainOf, sentChainOf } from './verify-peer.js';

/** What Node's 'data', 'secure' and 'error' events leave behind for the driving calls. */
export interface HandshakeFacts {
  cipher: CipherTuple | null;
  version: string | null;
  alpn: string | null;
  peerCert: tls.DetailedPeerCertificate | null;
  peerVerified: boolean;
  reused: boolean;
  finished: Buffer | null;
  peerFinished: Buffer | null;
  serverName: string | null;
  sharedCiphers: CipherTuple[] | null;
}

/** The facts of `socket`'s completed handshake, its verified `peerCert` (if any) included. */
export function handshakeFactsOf(
  socket: tls.TLSSocket,
  peerCert: tls.DetailedPeerCertificate | null,
  config: EngineConfig,
  role: EngineRole,
): HandshakeFacts {
  const cipher = socket.getCipher();
  const servername = (socket as unknown as { servername?: string | false }).servername;
  return {
    cipher: cipher ? [cipher.name, cipher.version, cipherBits(cipher.name)] : null,
    version: socket.getProtocol(),
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    peerCert,
    peerVerified: peerCert !== null && config.verifyMode !== CERT_NONE,
    reused: socket.isSessionReused(),
    finished: socket.getFinished() ?? null,
    peerFinished: socket.getPeerFinished() ?? null,
    serverName: role.serverSide
      ? typeof servername === 'string'
        ? servername
        : null
      : role.serverHostname,
    sharedCiphers: null,
  };
}

/**
 * The engine's information calls, answered from the facts of its handshake (none before it
 * completed). The node engine extends this; `trusted` is its context's CA certificates.
 */
export abstract class HandshakeInfo {
  protected facts: HandshakeFacts | undefined;
  protected readonly role: EngineRole;

  constructor(role: EngineRole) {
    this.role = role;
  }

  protected abstract trusted(): readonly Buffer[];

  peerCertificate(): Buffer | null {
    return this.facts?.peerCert?.raw ?? null;
  }

  get peerVerified(): boolean {
    return this.facts?.peerVerified ?? false;
  }

  verifiedChain(): Buffer[] {
    if (!this.facts?.peerVerified) return [];
    return chainOf(this.facts.peerCert);
  }

  unverifiedChain(): Buffer[] {
    return sentChainOf(this.facts?.peerCert ?? null, this.trusted());
  }

  cipher(): CipherTuple | null {
    return this.facts?.cipher ?? null;
  }

  sharedCiphers(): CipherTuple[] | null {
    return this.facts?.sharedCiphers ?? null;
  }

  version(): string | null {
    return this.facts?.version ?? null;
  }

  selectedAlpnProtocol(): string | null {
    return this.facts?.alpn ?? null;
  }

  serverName(): string | null {
    return this.facts?.serverName ?? null;
  }

  channelBinding(_type: 'tls-unique'): Buffer | null {
    const facts = this.facts;
    if (!facts) return null;
    // RFC 5929: the first Finished of the handshake; the client's in a full handshake, the
    // server's when resumed (docs/architecture.md, node:tls over a Duplex, pitfall 10).
    const clientSent = this.role.serverSide !== facts.reused;
    return (clientSent ? facts.finished : facts.peerFinished) ?? null;
  }
}
