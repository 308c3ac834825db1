/**
 * The native TLS engine: CPython's SSLObject, one level down. Each driving call lends the
 * incoming BIO's ciphertext to OpenSSL's read BIO (native/inbox.c), runs one OpenSSL operation synchronously,
 * and moves what OpenSSL wrote into the outgoing BIO, so `doHandshake()` returns with the
 * ClientHello already queued, exactly as in Python.
 */
import type {
  CipherTuple,
  EngineConfig,
  EngineFactory,
  EngineRole,
  EngineSession,
  PendingHello,
  TlsEngine,
} from '../../sansio/engine.js';
import { WOULD_BLOCK } from '../../sansio/engine.js';
import {
  type SSLError,
  SSLErrorNumber,
  SSLWantClientHelloError,
  ValueError,
  wantRead,
  wantWrite,
} from '../../../errors/errors.js';
import { DRIVE_STATE_LENGTH, DriveState, FEED_LIMIT, HelloAnswer, Info, Op } from './abi.js';
import type { FusedPath } from './fused-path.js';
import type { MemoryBIO } from '../../sansio/memory-bio.js';
import {
  type NativeEngineHandle,
  type NativeErrorDescription,
  type NativeSessionHandle,
  nativeBinding,
} from './native-binding.js';
import { callbackFailure } from '../../sansio/callback-failure.js';
import { compileNativeContext } from './native-context.js';
import { isNativeErrorDescription, nativeError } from './native-error.js';

export { nativeEngineAvailable, nativeLoadError } from './native-binding.js';

/** The addon's answer to the SNI hook that means "carry on" (any negative number). */
const SNI_CONTINUE = -1;

const NO_KEY = new Uint8Array(0);
const WANT_READ = SSLErrorNumber.SSL_ERROR_WANT_READ;
/** The addon's plain "want read" (nothing on OpenSSL's error queue), as a description. */
const PLAIN_WANT_READ: NativeErrorDescription = Object.freeze({
  rxtlsNative: true,
  sslError: WANT_READ,
  ret: -1,
});
/** The numbers every drive() call answers (see DriveState); one array serves every engine. */
const driveState = new Int32Array(DRIVE_STATE_LENGTH);

/** A session made by the native engine; it keeps its SSL_SESSION alive. */
export class NativeSession implements EngineSession {
  /** @internal */
  readonly handle: NativeSessionHandle;
  readonly id: Buffer;
  readonly time: number;
  readonly timeout: number;
  readonly ticketLifetimeHint: number;
  readonly hasTicket: boolean;

  constructor(handle: NativeSessionHandle) {
    this.handle = handle;
    this.id = handle.id;
    this.time = handle.time;
    this.timeout = handle.timeout;
    this.ticketLifetimeHint = handle.ticketLifetimeHint;
    this.hasTicket = handle.hasTicket;
  }
}

/** A TLS connection driven by the OpenSSL inside Node through the rxtls addon. */
export class NativeEngine implements TlsEngine {
  readonly kind = 'native' as const;
  // No progress$: everything happens inside the driving calls.

  #handle: NativeEngineHandle | null;
  #config: EngineConfig;
  readonly #role: EngineRole;
  readonly #incoming: MemoryBIO;
  readonly #outgoing: MemoryBIO;
  /** Why a hook failed during the current call: the cause of the error that follows. */
  #callbackError: unknown;
  /**
   * A key log write that failed during the current call: OpenSSL carries on, but Python raises
   * it from the call, and the connection ends with it (docs/architecture.md, Containment).
   */
  #keylogFailure: SSLError | undefined;
  /** An error met after a read had gathered data: thrown by the next call, after the data. */
  #deferred: SSLError | undefined;
  /** SSL_is_init_finished after the last driving call (only those calls change it). */
  #handshakeComplete = false;
  /**
   * A read ended wanting ciphertext when `incoming` had received this many bytes in all (-1: it
   * did not). Until more arrive (or its EOF), another read can only give the same answer, so it
   * gives it without asking OpenSSL: a stream's read loop ends with such a read after every
   * chunk. Writes between do not change that (they cannot make data readable).
   */
  #starvedAt = -1;
  #starvedAtEof = false;
  /** Fused to a native socket (fused-path.ts): its counts replace `incoming`'s, which stays empty. */
  #fused: FusedPath | undefined;
  /** The certificate lookup the handshake waits for (the ClientHello hook answered "not yet"). */
  #pendingHello: PendingHello | undefined;
  /** The hook decided: a second ClientHello (after a HelloRetryRequest) keeps its decision. */
  #helloDecided = false;

  constructor(config: EngineConfig, role: EngineRole, incoming: MemoryBIO, outgoing: MemoryBIO) {
    let session: NativeSessionHandle | null = null;
    if (role.session !== null) {
      if (!(role.session instanceof NativeSession)) {
        throw new ValueError('Session refers to a different SSLContext.');
      }
      session = role.session.handle;
    }
    this.#config = config;
    this.#role = role;
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    const context = compileNativeContext(config);
    this.#handle = nativeBinding().newEngine(
      context,
      role.serverSide,
      role.serverSide ? null : role.serverHostname,
      config.checkHostname,
      session,
    );
  }

  // --- driving -------------------------------------------------------------------------------

  doHandshake(): void {
    this.#drive(Op.Handshake, 0, undefined);
  }

  read(n: number): Buffer {
    return this.#drive(Op.Read, n, undefined) as Buffer;
  }

  get wantsRead(): boolean {
    const source = this.#fused ?? this.#incoming;
    return this.#starvedAt === source.written && this.#starvedAtEof === source.eofWritten;
  }

  /** @internal The addon's handle, for pairing with a socket (fused-path.ts). */
  get handle(): NativeEngineHandle {
    return this.#live();
  }

  /** @internal Whether a socket carries this engine's ciphertext. */
  get fused(): boolean {
    return this.#fused !== undefined;
  }

  /** @internal The addon has paired this engine with a socket: `path` counts its ciphertext now. */
  fuseTo(path: FusedPath): void {
    this.#fused = path;
  }

  readAvailable(max: number): Buffer {
    return this.#drive(Op.ReadAvailable, max, undefined) as Buffer;
  }

  readAvailableInto(buffer: Uint8Array): number {
    return this.#drive(Op.ReadInto, buffer.length, buffer) as number;
  }

  tryReadInto(buffer: Uint8Array): number {
    return this.#drive(Op.ReadInto, buffer.length, buffer, true) as number;
  }

  write(data: Uint8Array): number {
    this.#live();
    if (this.#outgoing.isFull) throw wantWrite();
    return this.#drive(Op.Write, 0, data) as number;
  }

  pending(): number {
    return this.#info(Info.Pending) as number;
  }

  shutdown(): void {
    this.#drive(Op.Shutdown, 0, undefined);
  }

  destroy(): void {
    this.#pendingHello?.cancel();
    if (this.#handle === null) return;
    nativeBinding().destroy(this.#handle);
    this.#handle = null;
  }

  /**
   * One OpenSSL operation, with the BIO traffic around it; retried while ciphertext waits.
   * `quiet`: a read answers WOULD_BLOCK instead of throwing a plain SSLWantReadError.
   */
  #drive(op: Op, n: number, data: Uint8Array | undefined, quiet = false): unknown {
    const handle = this.#live();
    const deferred = this.#deferred;
    if (deferred !== undefined) {
      this.#deferred = undefined;
      throw deferred;
    }
    const incoming = this.#incoming;
    const gathering = op === Op.ReadAvailable || op === Op.ReadInto;
    const reading = op === Op.Read || gathering;
    if (reading && this.wantsRead) {
      if (quiet) return WOULD_BLOCK;
      throw wantRead();
    }
    if (op === Op.Handshake || op === Op.Shutdown) this.#starvedAt = -1;
    const binding = nativeBinding();
    this.#callbackError = undefined;
    // Where ciphertext arrives: the fused path's counts once fused, `incoming` otherwise.
    const source = this.#fused ?? incoming;
    for (;;) {
      // What had arrived when the call began: bytes a callback adds during it are news.
      const writtenBefore = source.written;
      const input = incoming.pending > 0 ? incoming.peek(FEED_LIMIT) : undefined;
      const eofAfter = incoming.eofWritten && (input?.length ?? 0) === incoming.pending;
      const answer = binding.drive(
        handle,
        op,
        n,
        data,
        input,
        eofAfter,
        this.#dispatch,
        driveState,
      );
      let result: unknown = answer;
      let out: Buffer | undefined;
      let remainder: Buffer | undefined;
      let error: NativeErrorDescription | undefined;
      if (Array.isArray(answer)) {
        const parts = answer as [unknown, Buffer?, Buffer?, NativeErrorDescription?];
        result = parts[0];
        out = parts[1];
        remainder = parts[2];
        error = parts[3];
      }
      const taken = driveState[DriveState.Taken] as number;
      const complete = driveState[DriveState.HandshakeComplete] === 1;
      const wantsInput = driveState[DriveState.Starved] === 1;
      if (error === undefined && driveState[DriveState.SslError] === WANT_READ) {
        error = PLAIN_WANT_READ;
      }
      this.#handshakeComplete = complete;
      this.#fused?.driven(
        driveState[DriveState.Queued] as number,
        driveState[DriveState.Incoming] as number,
        driveState[DriveState.Sent] as number,
      );
      if (taken > 0) incoming.discard(taken);
      if (out !== undefined) this.#outgoing.writeOwned(out);
      // Bytes after the peer's close_notify are not TLS: give them back (STARTTLS downgrade).
      if (remainder !== undefined) incoming.unshift(remainder);
      const keylogFailure = this.#keylogFailure;
      if (keylogFailure !== undefined) {
        this.#keylogFailure = undefined;
        throw keylogFailure;
      }
      if (
        reading &&
        wantsInput &&
        remainder === undefined &&
        !(taken > 0 && incoming.pending > 0)
      ) {
        this.#starvedAt = writtenBefore;
        this.#starvedAtEof = source.eofWritten;
      }
      if (error === undefined) return result;
      if (gathering && result !== undefined) {
        this.#deferred = nativeError(error, this.#role.serverHostname, this.#callbackError);
        return result;
      }
      const starved = error.sslError === SSLErrorNumber.SSL_ERROR_WANT_READ;
      if (starved && taken > 0 && incoming.pending > 0 && remainder === undefined) continue;
      const pending = this.#pendingHello;
      if (error.sslError === SSLErrorNumber.SSL_ERROR_WANT_CLIENT_HELLO_CB && pending) {
        throw new SSLWantClientHelloError(pending.settled);
      }
      if (quiet && error === PLAIN_WANT_READ) return WOULD_BLOCK;
      throw nativeError(error, this.#role.serverHostname, this.#callbackError);
    }
  }

  /** Called by the addon, inside a driving call, for the SNI, PSK and keylog hooks. */
  readonly #dispatch = (kind: string, arg: string | null): unknown => {
    if (this.#handle === null) return undefined;
    const config = this.#config;
    try {
      switch (kind) {
        case 'keylog':
          config.keylog?.(arg ?? '');
          return undefined;
        case 'sni':
          return this.#sni(arg);
        case 'client-hello':
          return this.#clientHello(arg);
        case 'psk-client':
          return config.pskClient?.(arg) ?? null;
        case 'psk-server':
          return config.pskServer?.(arg) ?? NO_KEY;
        default:
          return undefined;
      }
    } catch (error) {
      // A user's PSK or keylog callback: Python reports it as unraisable and fails the
      // handshake; we chain it instead. (The SNI hook answers failures as decisions.)
      this.#callbackError = error;
      if (kind === 'keylog') this.#keylogFailure ??= callbackFailure('key log write', error);
      return kind === 'psk-server' ? NO_KEY : null;
    }
  };

  #sni(serverName: string | null): number {
    const hook = this.#config.sni;
    if (hook === undefined) return SNI_CONTINUE;
    const decision = hook(this, serverName);
    if (decision.kind === 'alert') {
      if (decision.cause !== undefined) this.#callbackError = decision.cause;
      return decision.alert;
    }
    if (decision.kind === 'switch') this.setConfig(decision.config);
    return SNI_CONTINUE;
  }

  /** OpenSSL's client hello callback: the certificate selector, which may answer "not yet". */
  #clientHello(serverName: string | null): number {
    const hook = this.#config.clientHello;
    this.#pendingHello = undefined;
    if (hook === undefined || this.#helloDecided) return HelloAnswer.Continue;
    const decision = hook(this, { serverName });
    if (decision.kind === 'retry') {
      this.#pendingHello = decision.pending;
      return HelloAnswer.Retry;
    }
    this.#helloDecided = true;
    switch (decision.kind) {
      case 'alert':
        if (decision.cause !== undefined) this.#callbackError = decision.cause;
        return decision.alert;
      case 'switch':
        this.setConfig(decision.config);
        return HelloAnswer.Continue;
      default:
        return HelloAnswer.Continue;
    }
  }

  // --- state and information ---------------------------------------------------------------------

  get handshakeComplete(): boolean {
    return this.#handshakeComplete;
  }

  peerCertificate(): Buffer | null {
    return this.#info(Info.PeerCert) as Buffer | null;
  }

  get peerVerified(): boolean {
    return this.#info(Info.PeerVerified) as boolean;
  }

  verifiedChain(): Buffer[] {
    return this.#info(Info.VerifiedChain) as Buffer[];
  }

  unverifiedChain(): Buffer[] {
    return this.#info(Info.UnverifiedChain) as Buffer[];
  }

  cipher(): CipherTuple | null {
    return this.#info(Info.Cipher) as CipherTuple | null;
  }

  sharedCiphers(): CipherTuple[] | null {
    return this.#info(Info.SharedCiphers) as CipherTuple[] | null;
  }

  version(): string | null {
    return this.#info(Info.Version) as string | null;
  }

  selectedAlpnProtocol(): string | null {
    return this.#info(Info.Alpn) as string | null;
  }

  serverName(): string | null {
    return this.#info(Info.ServerName) as string | null;
  }

  channelBinding(_type: 'tls-unique'): Buffer | null {
    return this.#info(Info.TlsUnique) as Buffer | null;
  }

  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    const handle = this.#live();
    try {
      return nativeBinding().exportKeyingMaterial(handle, length, Buffer.from(label), context);
    } catch (error) {
      throw wrapNative(error);
    }
  }

  verifyClientPostHandshake(): void {
    const handle = this.#live();
    try {
      nativeBinding().verifyClientPostHandshake(handle);
    } catch (error) {
      throw wrapNative(error);
    }
    // The request puts the connection back into init until the client has answered.
    this.#handshakeComplete = this.#info(Info.HandshakeComplete) as boolean;
  }

  session(): EngineSession | null {
    const handle = this.#info(Info.Session) as NativeSessionHandle | null;
    return handle === null ? null : new NativeSession(handle);
  }

  get sessionReused(): boolean {
    return this.#info(Info.SessionReused) as boolean;
  }

  /** OpenSSL's verify result (X509_V_OK is 0), for diagnostics. */
  get verifyResult(): number {
    return this.#info(Info.VerifyResult) as number;
  }

  setConfig(config: EngineConfig): void {
    const handle = this.#live();
    try {
      nativeBinding().setContext(handle, compileNativeContext(config));
    } catch (error) {
      throw wrapNative(error);
    }
    this.#config = config;
  }

  #info(what: Info): unknown {
    return nativeBinding().info(this.#live(), what);
  }

  #live(): NativeEngineHandle {
    if (this.#handle === null) throw new ValueError('the TLS engine was destroyed');
    return this.#handle;
  }
}

function wrapNative(error: unknown): unknown {
  return isNativeErrorDescription(error) ? nativeError(error) : error;
}

/**
 * Makes a native engine: Python's SSLObject over the OpenSSL that `node` itself links.
 * Throws when the addon is unavailable (check {@link nativeEngineAvailable} first) and the
 * SSLError Python raises when the config cannot be compiled.
 */
export const createNativeEngine: EngineFactory = (config, role, incoming, outgoing) =>
  new NativeEngine(config, role, incoming, outgoing);
