/**
 * Python's `ssl.SSLObject`: TLS over two MemoryBIOs and nothing else. It never touches a socket,
 * so it runs over any byte transport; whoever owns the transport moves ciphertext between it and
 * the BIOs, retrying a call when `readiness$` says retrying can succeed (a server's handshake
 * waiting for its certificate lookup: after `client-hello-settled`).
 */
import { type Observable, Subject, type Subscription } from 'rxjs';
import type {
  CipherTuple,
  EngineKind,
  EngineProgress,
  EngineSession,
  TlsEngine,
} from './engine.js';
import { WOULD_BLOCK } from './engine.js';
import {
  isFatal,
  SSLWantClientHelloError,
  SSLWantReadError,
  SSLWantWriteError,
  typeError,
  ValueError,
} from '../../errors/errors.js';
import { DEFAULT_READ_SIZE, STREAM_READ_SIZE } from '../limits.js';
import type { MemoryBIO } from './memory-bio.js';

/** What an SSLObject announces on `readiness$`. */
export type ReadinessType =
  | 'want-read' // feed more ciphertext into `incoming`
  | 'want-write' // `outgoing` holds ciphertext: flush it to the transport
  | 'want-client-hello' // the handshake waits for the server's certificate lookup
  | 'client-hello-settled' // that lookup settled: doHandshake() can go on
  | 'readable' // read() can return data (or the end of the stream)
  | 'writable' // write() can accept data
  | 'handshake-complete'
  | 'closed' // the TLS session ended: close_notify, EOF or a fatal error
  | 'error'; // a fatal error happened: the next call throws it

/** One readiness event (events are shared and frozen: compare their `type`, not the objects). */
export interface ReadinessEvent {
  readonly type: ReadinessType;
}

/** Python's `ssl.SSLSession`, read-only. */
export class SSLSession {
  /** @internal */
  readonly engineSession: EngineSession;
  /** @internal */
  constructor(engineSession: EngineSession) {
    this.engineSession = engineSession;
  }
  /** The session ID. */
  get id(): Buffer {
    return this.engineSession.id;
  }
  /** Creation time, seconds since the epoch. */
  get time(): number {
    return this.engineSession.time;
  }
  /** Lifetime, seconds. */
  get timeout(): number {
    return this.engineSession.timeout;
  }
  /** The server's ticket lifetime hint, seconds. */
  get ticketLifetimeHint(): number {
    return this.engineSession.ticketLifetimeHint;
  }
  /** Whether the session carries a ticket. */
  get hasTicket(): boolean {
    return this.engineSession.hasTicket;
  }
}

/** What a context hands an SSLObject when it makes one (see `SSLContext.wrapBio`). */
export interface SSLObjectInit<C> {
  readonly engine: TlsEngine;
  readonly incoming: MemoryBIO;
  readonly outgoing: MemoryBIO;
  readonly serverSide: boolean;
  readonly serverHostname: string | null;
  readonly context: C;
  /** Turns a DER certificate into Python's dictionary (the context layer's decodeCert). */
  readonly decodeCert: (der: Buffer) => object;
  /** Called when `context` is assigned, so the owner can switch the engine's policy. */
  onContextChange?(context: C): void;
  /**
   * Runs once when the handshake completes, before it is announced: throwing fails the
   * connection, and every later driving call (unwrap included) throws that error. For
   * certificate pinning and other application checks of the peer.
   */
  checkPeer?(sslobj: SSLObject<C>): void;
  /** Runs once as the completed handshake is announced (the context counts it). */
  onHandshakeComplete?(sslobj: SSLObject<C>): void;
}

/** One frozen event per type: events carry nothing else, so none is made per call. */
const EVENTS: Readonly<Record<ReadinessType, ReadinessEvent>> = Object.freeze({
  'want-read': Object.freeze({ type: 'want-read' }),
  'want-write': Object.freeze({ type: 'want-write' }),
  'want-client-hello': Object.freeze({ type: 'want-client-hello' }),
  'client-hello-settled': Object.freeze({ type: 'client-hello-settled' }),
  readable: Object.freeze({ type: 'readable' }),
  writable: Object.freeze({ type: 'writable' }),
  'handshake-complete': Object.freeze({ type: 'handshake-complete' }),
  closed: Object.freeze({ type: 'closed' }),
  error: Object.freeze({ type: 'error' }),
});

const PROGRESS_READINESS: Record<EngineProgress, ReadinessType> = {
  outgoing: 'want-write',
  'handshake-complete': 'handshake-complete',
  readable: 'readable',
  writable: 'writable',
  closed: 'closed',
  error: 'error',
};

const objectsByEngine = new WeakMap<TlsEngine, SSLObject<unknown>>();
const enginesByObject = new WeakMap<SSLObject<unknown>, TlsEngine>();

/** The SSLObject driving `engine` (SNI hooks receive the engine and answer with its object). */
export function sslObjectOf<C>(engine: TlsEngine): SSLObject<C> | undefined {
  return objectsByEngine.get(engine) as SSLObject<C> | undefined;
}

/**
 * @internal The engine an SSLObject drives, for an engine's own helpers (the native engine's
 * fused path pairs it with a socket); undefined once the object is destroyed.
 */
export function engineOf(sslobj: SSLObject<unknown>): TlsEngine | undefined {
  return enginesByObject.get(sslobj);
}

/**
 * TLS over memory, as Python's SSLObject. Made by `SSLContext.wrapBio()`.
 *
 * @example
 * ```ts
 * const client = ctx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' });
 * try { client.doHandshake(); } catch (e) { if (!(e instanceof SSLWantReadError)) throw e; }
 * transport.write(client.outgoing.read()); // the ClientHello
 * ```
 */
export class SSLObject<C = unknown> {
  readonly #engine: TlsEngine;
  readonly #init: SSLObjectInit<C>;
  readonly #readiness = new Subject<ReadinessEvent>();
  readonly #progressSubscription: Subscription | undefined;
  #context: C;
  #destroyed = false;
  /** Inside #announce: a destroy() there completes readiness$ only after the event is out. */
  #announcing = false;
  #handshakeAnnounced = false;
  /** What `checkPeer` said of the peer (what it threw, if it rejected it, is the #failure). */
  #peerVerdict: 'unchecked' | 'accepted' | 'rejected' = 'unchecked';
  /**
   * The first fatal error (see isFatal) a driving call threw, or what `checkPeer` threw: the
   * connection is over, and every later driving call throws it again. Engines report a failure
   * once; remembering it is this object's alone.
   */
  #failed = false;
  #failure: unknown;
  /** verifyClientPostHandshake() was called and the client's certificate has not come yet. */
  #awaitingPhaCertificate = false;
  /** The certificate lookup the handshake waits for (announced once when it settles). */
  #lookup: Promise<void> | undefined;

  /** Readiness changes; see {@link ReadinessType}. Completes when the object is destroyed. */
  readonly readiness$: Observable<ReadinessEvent> = this.#readiness.asObservable();

  /**
   * @internal The secure stream driving this object hears readiness here, before readiness$: a
   * plain call, where a subscription would cost allocations on every driving call.
   */
  onReadiness: ((event: ReadinessEvent) => void) | undefined;

  constructor(init: SSLObjectInit<C>) {
    this.#init = init;
    this.#engine = init.engine;
    this.#context = init.context;
    objectsByEngine.set(init.engine, this as SSLObject<unknown>);
    enginesByObject.set(this as SSLObject<unknown>, init.engine);
    this.#progressSubscription = init.engine.progress$?.subscribe((progress) => {
      // A rejected peer ends the connection here: the engine's later progress is not ours.
      if (this.#peerVerdict === 'rejected') return;
      if (progress === 'handshake-complete') this.#announceHandshake();
      else this.#announce(PROGRESS_READINESS[progress]);
    });
  }

  // ------------------------------------------------------------------------------------------
  // identity

  /** The BIO the transport writes ciphertext into. */
  get incoming(): MemoryBIO {
    return this.#init.incoming;
  }
  /** The BIO the transport reads ciphertext from. */
  get outgoing(): MemoryBIO {
    return this.#init.outgoing;
  }
  get serverSide(): boolean {
    return this.#init.serverSide;
  }
  get serverHostname(): string | null {
    return this.#init.serverHostname;
  }
  /** Which engine runs this object. */
  get engine(): EngineKind {
    return this.#engine.kind;
  }
  /** The SSLContext; assignable inside a server's SNI callback to serve another certificate. */
  get context(): C {
    return this.#context;
  }
  set context(context: C) {
    this.#context = context;
    this.#init.onContextChange?.(context);
  }

  // ------------------------------------------------------------------------------------------
  // driving (each throws SSLWantReadError / SSLWantWriteError when it cannot finish yet)

  /** Runs the handshake as far as the ciphertext in `incoming` allows. */
  doHandshake(): void {
    this.#drive(() => this.#engine.doHandshake());
  }

  /**
   * Up to `n` decrypted bytes. Returns empty bytes after the peer's close_notify while ours is
   * unsent; throws SSLZeroReturnError once both are exchanged, SSLEOFError on a bare EOF.
   */
  read(n: number = DEFAULT_READ_SIZE): Buffer {
    if (typeof n !== 'number' || !Number.isInteger(n)) throw typeError('n', 'an integer', n);
    if (n < 0) throw new ValueError('size should not be negative');
    if (n === 0) return Buffer.alloc(0);
    return this.#drive(() => this.#engine.read(n));
  }

  /**
   * rxtls's addition for streams: everything decrypted now, across records, up to `max` bytes in
   * one buffer (read() returns at most one record, as Python's). Same errors as read().
   */
  readAvailable(max: number = STREAM_READ_SIZE): Buffer {
    if (typeof max !== 'number' || !Number.isInteger(max))
      throw typeError('max', 'an integer', max);
    if (max < 0) throw new ValueError('size should not be negative');
    if (max === 0) return Buffer.alloc(0);
    return this.#drive(() => this.#engine.readAvailable(max));
  }

  /**
   * readAvailable() into `buffer` instead of a new one (as Python's `read(len, buffer)` reads into
   * a buffer): returns the count, 0 where read() returns empty bytes. Same errors.
   */
  readAvailableInto(buffer: Uint8Array): number {
    if (!(buffer instanceof Uint8Array)) throw typeError('buffer', 'a Uint8Array', buffer);
    if (buffer.length === 0) return 0;
    return this.#drive(() => this.#engine.readAvailableInto(buffer));
  }

  /**
   * @internal rxtls's addition for the secure stream's read loop: readAvailableInto(), answering
   * WOULD_BLOCK (-1) where it raises a plain SSLWantReadError (readiness$ still announces
   * want-read). Throwing once per partial record cost bulk transfer about 8% of its CPU.
   */
  tryReadInto(buffer: Uint8Array): number {
    if (buffer.length === 0) return 0;
    const count = this.#drive(() => this.#engine.tryReadInto(buffer));
    if (count === WOULD_BLOCK) this.#announce('want-read');
    return count;
  }

  /**
   * rxtls's addition: true when read() is known to raise SSLWantReadError until more ciphertext
   * (or its EOF) is written to `incoming`, so a loop can stop without the exception. False when
   * the engine cannot know (node).
   */
  get wantsRead(): boolean {
    return !this.#destroyed && this.#engine.wantsRead;
  }

  /** Encrypts `data` whole and returns its length, or throws having taken none of it. */
  write(data: Uint8Array): number {
    if (!(data instanceof Uint8Array)) {
      throw typeError('data', 'a bytes-like object (Buffer or Uint8Array)', data);
    }
    return this.#drive(() => this.#engine.write(data));
  }

  /** Decrypted bytes ready to read without more ciphertext. */
  pending(): number {
    return this.#engine.pending();
  }

  /** Sends our close_notify; throws SSLWantReadError until the peer's arrives. */
  unwrap(): void {
    this.#drive(() => this.#engine.shutdown());
  }

  /**
   * Runs a driving call and announces what it changed. A synchronous engine (native) makes all
   * its progress inside the call, so the object itself reports a completed handshake and
   * ciphertext waiting in `outgoing`; the node engine also reports progress between calls.
   * Every driving call passes here, so here the first fatal error is kept and thrown again;
   * `canFail` false: the call's errors refuse the call and leave the connection as it was.
   */
  #drive<T>(call: () => T, canFail = true): T {
    if (this.#destroyed) throw new ValueError('SSLObject was destroyed');
    this.#throwIfFailed();
    let result: T;
    try {
      result = call();
    } catch (error) {
      // A synchronous engine completes the handshake (or takes a post-handshake certificate)
      // inside a call that may still throw.
      this.#checkPhaCertificate();
      this.#throwIfFailed();
      if (canFail && isFatal(error)) this.#fail(error);
      if (error instanceof SSLWantReadError) this.#announce('want-read');
      if (error instanceof SSLWantWriteError) this.#announce('want-write');
      if (error instanceof SSLWantClientHelloError) this.#awaitLookup(error.settled);
      throw error;
    } finally {
      if (this.#engine.handshakeComplete) this.#announceHandshake();
      if (this.#init.outgoing.pending > 0) this.#announce('want-write');
    }
    this.#checkPhaCertificate();
    this.#throwIfFailed();
    return result;
  }

  /**
   * The handshake waits for a server's certificate lookup: say so, and say when it settled, so a
   * reactor retries doHandshake() then (docs/architecture.md, The engine seam).
   */
  #awaitLookup(settled: Promise<void>): void {
    this.#announce('want-client-hello');
    if (this.#lookup === settled) return;
    this.#lookup = settled;
    void settled.then(() => {
      if (this.#lookup !== settled || this.#destroyed) return;
      this.#lookup = undefined;
      this.#announce('client-hello-settled');
    });
  }

  /** Keeps the connection's first fatal error; later ones are consequences of it. */
  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#failure = error;
  }

  /** Throws the connection's fatal error, if it failed (the peer checks run first). */
  #throwIfFailed(): void {
    this.#peerAccepted();
    if (this.#failed) throw this.#failure;
  }

  /**
   * Runs `checkPeer` once the engine's handshake is complete; false if it rejected the peer,
   * which is then announced as a fatal error instead of a completed handshake.
   */
  #peerAccepted(): boolean {
    const check = this.#init.checkPeer;
    if (!check || !this.#engine.handshakeComplete) return true;
    if (this.#peerVerdict === 'unchecked') {
      this.#peerVerdict = 'accepted'; // a check that asks handshakeComplete must not recurse
      try {
        check(this);
      } catch (error) {
        this.#peerVerdict = 'rejected';
        this.#fail(error);
        this.#announce('error');
        this.#announce('closed');
      }
    }
    return this.#peerVerdict === 'accepted';
  }

  #announceHandshake(): void {
    if (this.#handshakeAnnounced || !this.#peerAccepted()) return;
    this.#handshakeAnnounced = true;
    this.#init.onHandshakeComplete?.(this);
    this.#announce('handshake-complete');
    this.#announce('writable');
  }

  /** Tells readiness$ (every driving call announces something: nobody may be listening). */
  #announce(type: ReadinessType): void {
    // The driving stream reacts first (as it did when it was the first subscriber); if its
    // reaction destroys this object (an error), the other listeners still hear the event.
    const outer = this.#announcing;
    this.#announcing = true;
    try {
      this.onReadiness?.(EVENTS[type]);
    } finally {
      this.#announcing = outer;
    }
    if (this.#readiness.observed) this.#readiness.next(EVENTS[type]);
    if (this.#destroyed && !outer) this.#readiness.complete();
  }

  /** Frees the engine; later calls throw. rxtls's addition: Python relies on the GC. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    enginesByObject.delete(this as SSLObject<unknown>);
    this.#progressSubscription?.unsubscribe();
    this.#engine.destroy();
    if (!this.#announcing) this.#readiness.complete();
  }

  // ------------------------------------------------------------------------------------------
  // information

  /** True once the handshake completed (and the context's peer checks accepted the peer). */
  get handshakeComplete(): boolean {
    return this.#engine.handshakeComplete && this.#peerAccepted();
  }

  /**
   * The peer's certificate: Python's dictionary (`{}` when it was not verified), DER bytes with
   * `binaryForm`, or null when the peer sent none. ValueError before the handshake.
   */
  getpeercert(binaryForm?: false): object | null;
  getpeercert(binaryForm: true): Buffer | null;
  getpeercert(binaryForm = false): object | Buffer | null {
    if (!this.#engine.handshakeComplete) throw new ValueError('handshake not done yet');
    const der = this.#engine.peerCertificate();
    if (!der) return null;
    if (binaryForm) return der;
    return this.#engine.peerVerified ? this.#init.decodeCert(der) : {};
  }

  /** The verified chain, leaf first, DER (empty if the peer was not verified). */
  getVerifiedChain(): Buffer[] {
    return this.#engine.verifiedChain();
  }

  /** The chain as the peer sent it, leaf first, DER. */
  getUnverifiedChain(): Buffer[] {
    return this.#engine.unverifiedChain();
  }

  /** `[name, protocol, secret bits]`, or null before the handshake. */
  cipher(): CipherTuple | null {
    return this.#engine.cipher();
  }

  /** Ciphers both sides support (servers only), or null. */
  sharedCiphers(): CipherTuple[] | null {
    return this.#engine.sharedCiphers();
  }

  /** Always null: OpenSSL 3 in Node is built without TLS compression. */
  compression(): string | null {
    return null;
  }

  /** `'TLSv1.3'`, `'TLSv1.2'`..., or null before the handshake. */
  version(): string | null {
    return this.#engine.version();
  }

  /** The ALPN protocol both sides agreed on, or null. */
  selectedAlpnProtocol(): string | null {
    return this.#engine.selectedAlpnProtocol();
  }

  /** Always null: NPN is not supported by the OpenSSL inside Node. */
  selectedNpnProtocol(): string | null {
    return null;
  }

  /** RFC 5929 channel binding data (`tls-unique` only), or null before the handshake. */
  getChannelBinding(type = 'tls-unique'): Buffer | null {
    if (type !== 'tls-unique') throw new ValueError(`${type} channel binding type not implemented`);
    return this.#engine.channelBinding(type);
  }

  /**
   * RFC 5705 keying material exported from the session: ValueError before the handshake (as
   * getpeercert()), the connection's fatal error after one.
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    if (this.#failed) throw this.#failure;
    if (!this.#engine.handshakeComplete) throw new ValueError('handshake not done yet');
    return this.#engine.exportKeyingMaterial(length, label, context);
  }

  /**
   * Python's `verify_client_post_handshake()` (servers, TLS 1.3): requests the client's
   * certificate after the handshake. Only arms the request: the next `doHandshake()` or
   * `write()` puts the CertificateRequest in `outgoing`, the client answers on its next `read()`,
   * and once this side has read that answer `getpeercert()` returns the client's certificate.
   * Throws SSLError as Python does: `NOT_SERVER` on a client, `WRONG_SSL_VERSION` before the
   * handshake or below TLS 1.3, `EXTENSION_NOT_RECEIVED` when the client did not offer
   * `postHandshakeAuth`, `INVALID_CONFIG` when the context does not verify peers. The node engine
   * throws NotImplementedError.
   */
  verifyClientPostHandshake(): void {
    // OpenSSL refuses the request (NOT_SERVER, WRONG_SSL_VERSION...) without touching the
    // connection, which carries on as Python's does.
    this.#drive(() => this.#engine.verifyClientPostHandshake(), false);
    this.#awaitingPhaCertificate = true;
  }

  /**
   * After verifyClientPostHandshake(), the certificate the client sends is checked by the
   * context's peer checks (pins, policies) as the handshake's would have been.
   */
  #checkPhaCertificate(): void {
    if (!this.#awaitingPhaCertificate || this.#engine.peerCertificate() === null) return;
    this.#awaitingPhaCertificate = false;
    if (this.#peerVerdict === 'accepted') this.#peerVerdict = 'unchecked';
  }

  /** The session, to resume later with `wrapBio(..., { session })`; null before the handshake. */
  get session(): SSLSession | null {
    const session = this.#engine.session();
    return session ? new SSLSession(session) : null;
  }

  /** Whether the handshake resumed a session. */
  get sessionReused(): boolean {
    return this.#engine.sessionReused;
  }
}
