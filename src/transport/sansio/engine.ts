/**
 * The seam between an SSLObject and the OpenSSL that does the work. Two engines implement it: one
 * over `node:tls` (pure TypeScript) and a native addon over memory BIOs (as CPython's `_ssl.c`).
 *
 * The contract is Python's SSLObject, one level down: every driving call is non-blocking and
 * throws SSLWantReadError / SSLWantWriteError / SSLZeroReturnError / SSLEOFError / SSLError
 * exactly where Python's would; a call that throws has consumed nothing, so retrying is safe.
 * A server whose ClientHello hook answered "not yet" throws SSLWantClientHelloError from
 * doHandshake(), carrying the hook's `settled` promise, until a retry after it gets the decision.
 * An engine that makes progress outside the calls (the node engine works across event-loop
 * turns) says so on `progress$`, and the SSLObject turns that into readiness events.
 *
 * An engine reports a fatal error (see isFatal) once: the driving call that meets it throws it,
 * or, for one met between calls, the next driving call. The SSLObject keeps that first error and
 * answers every later driving call with it without asking the engine, so what an engine would
 * answer after its failure is no part of this contract. Engines trust their caller's arguments:
 * the SSLObject (and SSLContext, for the role) validate them as Python does.
 */
import type { Observable } from 'rxjs';
import type { MemoryBIO } from './memory-bio.js';

/** Which engine a context uses. */
export type EngineKind = 'native' | 'node';

/** What TlsEngine.tryReadInto() and SSLObject.tryReadInto() answer instead of SSLWantReadError. */
export const WOULD_BLOCK = -1;

/** Certificate and key, as PEM text (the key decrypted or with its passphrase). */
export interface EngineCredentials {
  /** The leaf first, then its chain, PEM. */
  readonly certChainPem: string;
  /** The private key, PEM (possibly encrypted: see passphrase). */
  readonly keyPem: string;
  readonly passphrase?: string | undefined;
}

/**
 * What a server's SNI hook may answer. `cause`: what made it refuse (the user's callback threw),
 * for the engine to chain onto the error it reports.
 */
export type SniDecision =
  | { readonly kind: 'continue' }
  | { readonly kind: 'switch'; readonly config: EngineConfig }
  | { readonly kind: 'alert'; readonly alert: number; readonly cause?: unknown };

/**
 * What a server's ClientHello hook is told: the ClientHello as it arrived, before OpenSSL acted on
 * any of its extensions.
 */
export interface ClientHelloFacts {
  /** The SNI host name the client sent, or null. */
  readonly serverName: string | null;
}

/**
 * A lookup the ClientHello hook has started and not finished: the handshake waits for it
 * (OpenSSL's SSL_CLIENT_HELLO_RETRY). `settled` resolves (never rejects) when asking the hook
 * again gets its decision; `cancel` gives the lookup up (the engine was destroyed first).
 */
export interface PendingHello {
  readonly settled: Promise<void>;
  cancel(): void;
}

/**
 * What a server's ClientHello hook may answer: an SNI decision, or "not yet" while its lookup
 * runs (docs/architecture.md, The engine seam). Asked again after `settled`, it decides.
 */
export type HelloDecision =
  | SniDecision
  | { readonly kind: 'retry'; readonly pending: PendingHello };

/**
 * A context's policy as plain data, resolved by SSLContext for engines. Engines may compile it
 * (a SecureContext, an SSL_CTX) and cache the result per object: SSLContext hands out a new
 * frozen object whenever anything changes, so identity is the cache key.
 */
export interface EngineConfig {
  readonly serverSide: boolean | undefined; // undefined: PROTOCOL_TLS, either side
  /** OpenSSL SSL_OP_* bitmask (Python's `options`). */
  readonly options: number;
  /** Wire versions (0x0303...), MINIMUM_SUPPORTED/MAXIMUM_SUPPORTED already resolved. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** 0 CERT_NONE, 1 CERT_OPTIONAL, 2 CERT_REQUIRED. */
  readonly verifyMode: number;
  /** X509_V_FLAG_* bits (Python's `verify_flags`). */
  readonly verifyFlags: number;
  readonly checkHostname: boolean;
  readonly hostnameChecksCommonName: boolean;
  /** Trusted CA certificates, DER. */
  readonly caCerts: readonly Buffer[];
  /** Certificate revocation lists, DER. */
  readonly crls: readonly Buffer[];
  /**
   * The server's certificate chains and keys, at most one per key type (RSA, ECDSA, ...): OpenSSL
   * presents the one the client's signature algorithms accept. Empty: no certificate.
   */
  readonly credentials: readonly EngineCredentials[];
  /** OpenSSL cipher string for TLS 1.2 and below; undefined keeps OpenSSL's/Python's default. */
  readonly ciphers: string | undefined;
  /** TLS 1.3 ciphersuites; undefined keeps the default. */
  readonly ciphersuites: string | undefined;
  /** Key-exchange groups (`setEcdhCurve`), colon separated. */
  readonly groups: string | undefined;
  /** DH parameters, PEM. */
  readonly dhParamsPem: string | undefined;
  readonly alpnProtocols: readonly string[] | undefined;
  /** TLS 1.3 session tickets a server sends after the handshake. */
  readonly numTickets: number;
  /**
   * Session ticket keys, 48 bytes each (16 name, 16 HMAC secret, 16 AES key), newest first: the
   * first encrypts new tickets, every one decrypts (docs/architecture.md, Session tickets).
   */
  readonly ticketKeys: readonly Buffer[];
  /** The session ID context (1 to 32 bytes) a server binds its sessions to. */
  readonly sessionIdContext: Buffer;
  /** Called with each NSS key log line (no newline) when key logging is on. */
  readonly keylog: ((line: string) => void) | undefined;
  /**
   * A server's SNI hook: called with the name the client asked for (null: none). It never throws:
   * a failing user callback comes back as an alert decision, so engines act on decisions only.
   */
  readonly sni: ((engine: TlsEngine, serverName: string | null) => SniDecision) | undefined;
  /**
   * A server's ClientHello hook (the certificate selector): runs when the ClientHello arrives,
   * before the SNI hook, and may answer "not yet". It never throws: failures are alert decisions.
   * The SNI hook that runs after it is the one of the configuration it chose.
   */
  readonly clientHello: ((engine: TlsEngine, hello: ClientHelloFacts) => HelloDecision) | undefined;
  /** A client's PSK hook: identity hint in, `[identity, key]` out (null: no PSK). */
  readonly pskClient: ((hint: string | null) => [string | null, Uint8Array] | null) | undefined;
  /** A server's PSK hook: identity in, key out (empty: unknown identity). */
  readonly pskServer: ((identity: string | null) => Uint8Array) | undefined;
  readonly pskIdentityHint: string | undefined;
  /**
   * Python's `post_handshake_auth`: a client offers TLS 1.3 post-handshake authentication; a
   * server that verifies peers asks for the client certificate only when
   * `verifyClientPostHandshake()` is called, not during the handshake.
   */
  readonly postHandshakeAuth: boolean;
  /**
   * Checks the policy adds to OpenSSL's chain verification (CRL_CHECK_LEAF, key pinning): given
   * the verified chain (leaf first, DER), a failure as an X509_V_ERR code and message, or
   * undefined. Runs where OpenSSL checks revocation: after the chain and the hostname.
   */
  readonly peerCheck: ((chain: readonly Buffer[]) => PeerCheckFailure | undefined) | undefined;
}

/** Why a policy's own peer check refused a chain. */
export interface PeerCheckFailure {
  /** OpenSSL's X509_V_ERR number (23: certificate revoked, 3: unable to get certificate CRL). */
  readonly code: number;
  /** The verify message; OpenSSL's text for `code` when omitted. */
  readonly message?: string;
}

/** A per-connection role, fixed when the SSLObject is made. */
export interface EngineRole {
  readonly serverSide: boolean;
  /** The name to send as SNI and to check (clients only): an A-label SSLContext has checked. */
  readonly serverHostname: string | null;
  /** A session to resume (clients only): an engine's own opaque session object. */
  readonly session: EngineSession | null;
}

/** A resumable session, opaque outside the engine that made it. */
export interface EngineSession {
  /** The session ID (TLS 1.2) or ticket-derived identifier, as bytes. */
  readonly id: Buffer;
  /** Seconds since the epoch when the session was made. */
  readonly time: number;
  /** Lifetime hint, seconds. */
  readonly timeout: number;
  /** Ticket lifetime hint, seconds (0 without a ticket). */
  readonly ticketLifetimeHint: number;
  readonly hasTicket: boolean;
}

/** One cipher, as Python's `SSLSocket.cipher()`: `[name, protocol, secret bits]`. */
export type CipherTuple = [name: string, protocol: string, bits: number];

/** What an engine tells its SSLObject happened between calls. */
export type EngineProgress =
  | 'outgoing' // ciphertext was added to the outgoing BIO
  | 'handshake-complete'
  | 'readable' // decrypted bytes (or the peer's close_notify) are ready for read()
  | 'writable' // write() can accept data again
  | 'closed' // the TLS session ended (close_notify exchanged, EOF, or a fatal error)
  | 'error'; // a fatal error happened; the next driving call throws it

/** The engine an SSLObject drives. */
export interface TlsEngine {
  readonly kind: EngineKind;
  /**
   * Progress made outside the driving calls; absent on a synchronous engine (native), which makes
   * all its progress inside them.
   */
  readonly progress$?: Observable<EngineProgress>;

  // --- driving: Python's SSLObject semantics -------------------------------------------------
  doHandshake(): void;
  /** Up to `n` decrypted bytes; empty after the peer's close_notify while ours is unsent. */
  read(n: number): Buffer;
  /**
   * As read(), but across records: what is decrypted now, up to `max` bytes, in one buffer (the
   * secure stream's read; Python's read() stops at a record's end).
   */
  readAvailable(max: number): Buffer;
  /**
   * As readAvailable(), into `buffer` (up to its length) instead of a new one: returns the count,
   * 0 where read() returns empty bytes.
   */
  readAvailableInto(buffer: Uint8Array): number;
  /**
   * As readAvailableInto(), but answers WOULD_BLOCK (-1) where it would raise a plain
   * SSLWantReadError: the secure stream's read loop ends that way on every partial record, and a
   * JavaScript throw costs more than the decryption of a record (docs/architecture.md, "Lent
   * reads"). Every other error is thrown as by readAvailableInto().
   */
  tryReadInto(buffer: Uint8Array): number;
  /**
   * True when read() is known to raise SSLWantReadError until more ciphertext (or its EOF)
   * arrives: a stream then skips the call. False when unknown.
   */
  readonly wantsRead: boolean;
  /** Encrypts all of `data` (returns its length) or throws without consuming any of it. */
  write(data: Uint8Array): number;
  /** Decrypted bytes ready for read(). */
  pending(): number;
  /** Sends our close_notify; throws SSLWantReadError until the peer's arrives. */
  shutdown(): void;
  /** Frees what the engine holds; later calls throw. Idempotent. */
  destroy(): void;

  // --- state and information (valid after the handshake unless said otherwise) -------------------
  readonly handshakeComplete: boolean;
  /** The peer certificate, DER, or null (none, or not before the handshake). */
  peerCertificate(): Buffer | null;
  /** Whether the peer certificate was verified (Python returns `{}` from getpeercert() if not). */
  readonly peerVerified: boolean;
  verifiedChain(): Buffer[];
  unverifiedChain(): Buffer[];
  cipher(): CipherTuple | null;
  sharedCiphers(): CipherTuple[] | null;
  version(): string | null;
  selectedAlpnProtocol(): string | null;
  /** The SNI name the client sent (servers) or asked for (clients). */
  serverName(): string | null;
  channelBinding(type: 'tls-unique'): Buffer | null;
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer;
  /**
   * Arms a TLS 1.3 post-handshake CertificateRequest (servers); the next handshake or write call
   * sends it. Throws SSLError as OpenSSL refuses (NOT_SERVER, WRONG_SSL_VERSION, ...).
   */
  verifyClientPostHandshake(): void;
  session(): EngineSession | null;
  readonly sessionReused: boolean;
  /** Replaces the configuration (SNI switch); only inside the SNI or ClientHello hook. */
  setConfig(config: EngineConfig): void;
}

/** Makes an engine over two BIOs. */
export type EngineFactory = (
  config: EngineConfig,
  role: EngineRole,
  incoming: MemoryBIO,
  outgoing: MemoryBIO,
) => TlsEngine;
