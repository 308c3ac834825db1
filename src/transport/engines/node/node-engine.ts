/**
 * The node engine: Node's own OpenSSL, reached through `node:tls`, made sans-IO.
 *
 * A TLSSocket runs over a Duplex whose two halves are the two MemoryBIOs (see bio-duplex.ts). Node
 * processes fed ciphertext synchronously once it reads, but completes each ciphertext write on a
 * later turn (docs/architecture.md, node:tls over a Duplex, pitfall 1), so this engine makes
 * progress both inside the driving calls and between them; the latter is announced on `progress$`.
 *
 * Life of an engine (one explicit state, changed only by #transition):
 *
 *   idle --start--> handshaking --secure + verified--> open --peer close_notify / EOF--> closed
 *     \                 \                                 \
 *      +-----------------+---------- fatal error ---------+-------------------------> failed
 *
 * Closing is two facts, not states, because they happen in either order: whether the peer's
 * close_notify (or a bare EOF) arrived, and whether ours went out.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { type Observable, Subject, type Subscription } from 'rxjs';
import { BioDuplex } from './bio-duplex.js';
import type {
  EngineConfig,
  EngineProgress,
  EngineRole,
  EngineSession,
  TlsEngine,
} from '../../sansio/engine.js';
import { WOULD_BLOCK } from '../../sansio/engine.js';
import {
  NotImplementedError,
  wantRead,
  wantWrite,
  SSLEOFError,
  SSLError,
  SSLWantClientHelloError,
  SSLZeroReturnError,
} from '../../../errors/errors.js';
import {
  DEFAULT_OUTGOING_HIGH_WATER_MARK,
  DEFAULT_PLAINTEXT_HIGH_WATER_MARK,
  RECORD_HEADER_LENGTH,
} from '../../limits.js';
import { MemoryBIO } from '../../sansio/memory-bio.js';
import { HelloGate } from './hello-gate.js';
import { callbackFailure } from '../../sansio/callback-failure.js';
import { HandshakeInfo, handshakeFactsOf } from './handshake-facts.js';
import { mapNodeError, mapTlsSocketError } from './node-errors.js';
import { pskClientOptions, pskServerOptions } from './node-psk.js';
import { secureContextFor } from './node-secure-context.js';
import { parseSessionDer } from './session-der.js';
import { verifyErrorOf, verifyPeer } from './verify-peer.js';
import {
  CERT_NONE,
  CERT_REQUIRED,
  OP_IGNORE_UNEXPECTED_EOF,
} from '../../../constants/ssl-constants.js';

type EngineState = 'idle' | 'handshaking' | 'open' | 'closed' | 'failed';

const TRANSITIONS: Record<EngineState, readonly EngineState[]> = {
  idle: ['handshaking', 'failed', 'closed'],
  handshaking: ['open', 'failed', 'closed'],
  open: ['closed', 'failed'],
  closed: ['failed'],
  failed: [],
};

/** Makes a node engine; see {@link TlsEngine}. */
export function createNodeEngine(
  config: EngineConfig,
  role: EngineRole,
  incoming: MemoryBIO,
  outgoing: MemoryBIO,
): TlsEngine {
  return new NodeEngine(config, role, incoming, outgoing);
}

class NodeEngine extends HandshakeInfo implements TlsEngine {
  readonly kind = 'node' as const;
  readonly #progress = new Subject<EngineProgress>();
  readonly progress$: Observable<EngineProgress> = this.#progress.asObservable();

  #config: EngineConfig;
  /** The first context's ticket keys: an SNI switch keeps them, as OpenSSL's session context. */
  readonly #ticketKeys: readonly Buffer[];
  readonly #role: EngineRole;
  readonly #incoming: MemoryBIO;
  readonly #outgoing: MemoryBIO;
  readonly #duplex: BioDuplex;
  readonly #incomingSubscription: Subscription;

  #state: EngineState = 'idle';
  #tls: tls.TLSSocket | undefined;
  /**
   * The failure (state 'failed'), until a driving call has thrown it: Node fails between calls,
   * so the next call reports it. From then on the SSLObject keeps it, not this engine.
   */
  #unreported: SSLError | undefined;
  /** OpenSSL failed and may still be writing its fatal alert: let that out. */
  #alerting = false;
  #session: (EngineSession & { der: Buffer }) | null = null;
  /** What Node passed to checkServerIdentity (full client handshakes only). */
  #nodePeerCert: tls.DetailedPeerCertificate | undefined;

  // incoming: ciphertext is fed one record at a time so nothing after a close_notify is eaten
  #recordRemaining = 0;
  #feeding = false;
  #eofFed = false;
  /** 'close_notify' or 'eof' once the peer is done sending. */
  #peerClosed: 'close_notify' | 'eof' | null = null;

  // outgoing: what Node writes while a feed is in progress waits until the feed's verdict
  #held: Buffer[] = [];

  /** Plaintext decrypted ahead of read(), in Node's own buffers (a byte queue, not a BIO). */
  readonly #plain = new MemoryBIO();

  /** A server's ClientHello hooks, run before Node sees the ClientHello (hello-gate.ts). */
  readonly #gate = new HelloGate();

  /** What a PSK callback threw: the cause of the handshake failure that follows. */
  #hookError: unknown;
  readonly #onHookError = (error: unknown): void => {
    this.#hookError ??= error;
  };

  /** Plaintext handed to Node whose write callback has not run yet. */
  #plaintextInFlight = 0;

  // shutdown
  #shutdownRequested = false;
  #shutdownSent = false;

  constructor(config: EngineConfig, role: EngineRole, incoming: MemoryBIO, outgoing: MemoryBIO) {
    super(role);
    this.#config = config;
    this.#ticketKeys = config.ticketKeys;
    this.#role = role;
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#duplex = new BioDuplex({
      onRead: () => this.#feed(),
      onWrite: this.#contained((chunk: Buffer) => this.#onCiphertextOut(chunk)),
      onFinal: this.#contained(() => this.#onShutdownSent()),
    });
    this.#incomingSubscription = incoming.written$.subscribe(() => this.#feed());
  }

  /**
   * Wraps a handler Node or rxjs calls (an event, a BIO hook, a subscription): what it throws
   * fails this connection instead of reaching Node's uncaughtException or rxjs's unhandled-error
   * path (docs/architecture.md, Containment).
   */
  #contained<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        handler(...args);
      } catch (error) {
        this.#fail(mapNodeError(error));
      }
    };
  }

  // ------------------------------------------------------------------------------------------
  // state

  #transition(next: EngineState): void {
    if (this.#state === next) return;
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(`node engine: cannot switch state from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }

  get #failed(): boolean {
    return this.#state === 'failed';
  }

  get handshakeComplete(): boolean {
    return this.facts !== undefined;
  }

  /**
   * `sendAlert`: the failure is OpenSSL's own, and what it wrote while failing (its fatal alert)
   * goes out as Python's would. Failures found here after OpenSSL finished send nothing.
   */
  #fail(error: SSLError, sendAlert = false): void {
    if (this.#failed) return;
    this.#unreported = error;
    this.#alerting = sendAlert;
    if (sendAlert) this.#commitHeld();
    this.#held = [];
    this.#transition('failed');
    const socket = this.#tls;
    // Node hands its ciphertext over on a later turn (docs/architecture.md, node:tls over a Duplex,
    // pitfall 1): when OpenSSL failed, destroying after that turn lets its fatal alert out, as
    // Python's SSLObject writes it.
    if (sendAlert) setImmediate(() => socket?.destroy());
    else socket?.destroy();
    this.#progress.next('error');
    this.#progress.next('closed');
  }

  /** Throws the failure once: the driving call that meets it reports it (see #unreported). */
  #reportFailure(): void {
    const error = this.#unreported;
    if (error === undefined) return;
    this.#unreported = undefined;
    throw error;
  }

  // ------------------------------------------------------------------------------------------
  // handshake

  #start(): void {
    if (this.#state !== 'idle') return;
    this.#transition('handshaking');
    // A server with ClientHello hooks reads the ClientHello first (see #decideServerName);
    // everyone else hands the connection to Node at once.
    if (!HelloGate.needed(this.#role.serverSide, this.#config)) this.#createSocket();
  }

  /**
   * Runs the ClientHello hooks (hello-gate.ts) and then hands Node the connection. Returns false
   * while the first record is incomplete or the certificate selector's lookup runs.
   */
  #decideServerName(): boolean {
    const outcome = this.#gate.decide(this, this.#config, this.#incoming);
    if (outcome.kind === 'incomplete' || outcome.kind === 'waiting') return false;
    if (outcome.kind === 'refuse') {
      this.#refuseWithAlert(outcome.alert, outcome.cause);
      return true;
    }
    this.#config = outcome.config;
    this.#createSocket();
    return true;
  }

  /** What the ClientHello hooks decide inside Node's SNICallback (hello-gate.ts). */
  readonly #gateAnswers = {
    adopt: (chosen: EngineConfig) => {
      this.#config = chosen;
    },
    refuse: (alert: number, cause: unknown) => this.#refuseWithAlert(alert, cause),
  };

  /** A fatal alert before any key exists is a plaintext record; OpenSSL reports CALLBACK_FAILED. */
  #refuseWithAlert(alert: number, cause: unknown): void {
    this.#outgoing.writeOwned(Buffer.from([21, 3, 3, 0, 2, 2, alert & 0xff]));
    this.#progress.next('outgoing');
    this.#fail(new SSLError('callback failed', { reason: 'CALLBACK_FAILED', cause }));
  }

  #createSocket(): void {
    let secureContext: tls.SecureContext;
    try {
      secureContext = secureContextFor(this.#config, this.#ticketKeys);
    } catch (error) {
      // Material OpenSSL refuses only now (a key too small for the security level): this
      // connection's error, reported by its next driving call.
      this.#fail(mapNodeError(error));
      return;
    }
    const verifying = this.#config.verifyMode !== CERT_NONE;
    let socket: tls.TLSSocket;
    if (this.#role.serverSide) {
      socket = new tls.TLSSocket(this.#duplex, {
        isServer: true,
        secureContext,
        requestCert: verifying,
        // Makes OpenSSL itself refuse a missing client certificate (FAIL_IF_NO_PEER_CERT), with
        // the alert Python's server sends; Node's verify callback still accepts every chain, so
        // certificates are judged in verifyPeer (verify-peer.ts) as before.
        rejectUnauthorized: this.#config.verifyMode === CERT_REQUIRED,
        ...(this.#config.alpnProtocols ? { ALPNProtocols: [...this.#config.alpnProtocols] } : {}),
        SNICallback: this.#gate.sniCallback(this, this.#config, this.#gateAnswers),
        ...pskServerOptions(this.#config, this.#onHookError),
      });
      socket.on(
        'secure',
        this.#contained(() => this.#onSecure()),
      );
    } else {
      const name = this.#role.serverHostname;
      socket = tls.connect({
        socket: this.#duplex,
        secureContext,
        rejectUnauthorized: false,
        // Hostnames are checked here, Python's way (docs/architecture.md, node:tls over a Duplex,
        // pitfall 4). Node builds the detailed peer certificate (the costliest call of a client
        // handshake) only to pass it to this hook, just before 'secureConnect': keep it instead of
        // building it a second time.
        checkServerIdentity: (_host, cert) => {
          this.#nodePeerCert = cert as tls.DetailedPeerCertificate;
          return undefined;
        },
        ...(name !== null && isIP(name) === 0 ? { servername: name } : {}),
        ...(this.#config.alpnProtocols ? { ALPNProtocols: [...this.#config.alpnProtocols] } : {}),
        ...(this.#role.session
          ? { session: (this.#role.session as unknown as { der: Buffer }).der }
          : {}),
        ...pskClientOptions(this.#config, this.#onHookError),
      });
      socket.on(
        'secureConnect',
        this.#contained(() => this.#onSecure()),
      );
      socket.on(
        'session',
        this.#contained((der: Buffer) => this.#onSession(der)),
      );
    }
    this.#tls = socket;
    socket.on('error', (error) => this.#fail(this.#socketError(error), true));
    // A TLSSocket that no tls.Server owns never "releases control", and Node then reports fatal
    // errors after its handshake (a bad record MAC, an oversized record) only as '_tlsError':
    // without this a server engine would wait for ciphertext forever.
    socket.on('_tlsError', (error: Error) => this.#fail(this.#socketError(error), true));
    socket.on(
      'data',
      this.#contained((chunk: Buffer) => this.#onPlaintext(chunk)),
    );
    socket.on(
      'end',
      this.#contained(() => this.#onReadableEnded()),
    );
    if (this.#config.keylog) {
      const keylog = this.#config.keylog;
      socket.on('keylog', (line: Buffer) => {
        try {
          keylog(line.toString('latin1').trimEnd());
        } catch (error) {
          // Python raises the failed write from the handshake call; so does this connection.
          this.#fail(callbackFailure('key log write', error), true);
        }
      });
    }
    this.#commitHeld();
    this.#feed();
  }

  doHandshake(): void {
    this.#reportFailure();
    this.#start();
    this.#feed();
    this.#reportFailure();
    if (this.facts) return;
    if (this.#peerClosed) throw new SSLEOFError();
    const lookup = this.#tls ? undefined : this.#gate.pending;
    if (lookup) throw new SSLWantClientHelloError(lookup.settled);
    throw wantRead();
  }

  /** A TLSSocket's error as Python reports it, caused by a failed callback if one failed. */
  #socketError(error: unknown): SSLError {
    return mapTlsSocketError(error, this.#hookError);
  }

  #onSecure(): void {
    const socket = this.#tls;
    if (!socket || this.#failed) return;
    // Read the peer chain once, before anything else: on a client, getPeerX509Certificate() removes
    // the leaf from OpenSSL's chain (docs/architecture.md, node:tls over a Duplex, pitfall 5).
    const detailed = this.#nodePeerCert ?? socket.getPeerCertificate(true);
    const peerCert = detailed && Object.keys(detailed).length > 0 ? detailed : null;
    const failure = verifyPeer(verifyErrorOf(socket), peerCert, this.#config, this.#role);
    if (failure) {
      this.#fail(failure);
      return;
    }
    this.facts = handshakeFactsOf(socket, peerCert, this.#config, this.#role);
    this.#transition('open');
    this.#progress.next('handshake-complete');
  }

  #onSession(der: Buffer): void {
    this.#session = { ...parseSessionDer(der), der };
  }

  // ------------------------------------------------------------------------------------------
  // incoming: ciphertext from the incoming BIO into Node, one record at a time

  #feed(): void {
    try {
      this.#feedRecords();
    } catch (error) {
      // #feed runs from the incoming BIO's subscription and Node's read hook too: nothing it
      // meets may escape there (docs/architecture.md, Containment).
      this.#fail(mapNodeError(error));
    }
  }

  #feedRecords(): void {
    if (this.#feeding || this.#failed) return;
    if (!this.#tls) {
      if (this.#state !== 'handshaking' || !this.#decideServerName()) return;
      if (!this.#tls) return;
    }
    this.#feeding = true;
    try {
      while (!this.#failed && !this.#peerClosed && this.#duplex.readableFlowing === true) {
        const available = this.#incoming.pending;
        if (available === 0) {
          if (this.#incoming.eofWritten && !this.#eofFed) {
            this.#eofFed = true;
            this.#duplex.push(null);
          }
          break;
        }
        if (this.#recordRemaining === 0) {
          if (available < RECORD_HEADER_LENGTH && !this.#incoming.eofWritten) break;
          const header = this.#incoming.peek(RECORD_HEADER_LENGTH);
          this.#recordRemaining =
            header.length < RECORD_HEADER_LENGTH
              ? header.length
              : RECORD_HEADER_LENGTH + header.readUInt16BE(3);
        }
        const chunk = this.#incoming.read(Math.min(this.#recordRemaining, available));
        this.#recordRemaining -= chunk.length;
        this.#duplex.push(chunk);
        this.#checkSynchronousOutcome();
      }
    } finally {
      this.#feeding = false;
    }
    this.#commitHeld();
  }

  /**
   * Node marks fatal errors and the end of the readable synchronously but emits their events on a
   * later tick (docs/architecture.md, node:tls over a Duplex, pitfalls 2 and 7); read the marks
   * right after each push.
   */
  #checkSynchronousOutcome(): void {
    const socket = this.#tls;
    if (!socket) return;
    const errored = (socket as unknown as { errored?: unknown }).errored;
    if (errored) this.#fail(this.#socketError(errored), true);
    const state = (socket as unknown as { _readableState?: { ended?: boolean } })._readableState;
    if (state?.ended && !this.#peerClosed) this.#onReadableEnded();
  }

  #onReadableEnded(): void {
    if (this.#peerClosed) return;
    // Node ends the readable for a close_notify and for a bare EOF alike; only an EOF we fed
    // ourselves can be the latter.
    const bareEof = this.#eofFed && (this.#config.options & OP_IGNORE_UNEXPECTED_EOF) === 0;
    this.#peerClosed = bareEof ? 'eof' : 'close_notify';
    if (this.#state === 'handshaking') {
      this.#fail(new SSLEOFError());
      return;
    }
    if (this.#state === 'open') this.#transition('closed');
    this.#progress.next('readable');
    this.#progress.next('closed');
  }

  // ------------------------------------------------------------------------------------------
  // outgoing: ciphertext from Node into the outgoing BIO

  #onCiphertextOut(chunk: Buffer): void {
    if (this.#failed && !this.#alerting) return;
    if (this.#feeding) {
      // Held until the feed's verdict: a client that rejects the server's certificate must not
      // send its Finished (Python's client stops before it).
      this.#held.push(chunk);
      return;
    }
    this.#outgoing.writeOwned(chunk);
    this.#progress.next('outgoing');
  }

  #commitHeld(): void {
    if (this.#held.length === 0) return;
    const held = this.#held;
    this.#held = [];
    for (const chunk of held) this.#outgoing.writeOwned(chunk);
    this.#progress.next('outgoing');
  }

  // ------------------------------------------------------------------------------------------
  // application data

  #onPlaintext(chunk: Buffer): void {
    this.#plain.writeOwned(chunk);
    if (this.#plain.pending >= DEFAULT_PLAINTEXT_HIGH_WATER_MARK) this.#tls?.pause();
    this.#progress.next('readable');
  }

  /** Node decrypts between calls, so a read is never known to be in vain. */
  readonly wantsRead = false;

  /** Node already hands over whole chunks of decrypted records: read() spans them. */
  readAvailable(max: number): Buffer {
    return this.read(max);
  }

  /** Node's plaintext arrives in buffers of its own: this one is a copy of them. */
  readAvailableInto(buffer: Uint8Array): number {
    const chunk = this.read(buffer.length);
    buffer.set(chunk);
    return chunk.length;
  }

  tryReadInto(buffer: Uint8Array): number {
    const chunk = this.#readOrWait(buffer.length);
    if (chunk === undefined) return WOULD_BLOCK;
    buffer.set(chunk);
    return chunk.length;
  }

  read(n: number): Buffer {
    const chunk = this.#readOrWait(n);
    if (chunk === undefined) throw wantRead();
    return chunk;
  }

  /** read(), answering undefined where it raises SSLWantReadError. */
  #readOrWait(n: number): Buffer | undefined {
    this.#reportFailure();
    if (!this.facts) this.doHandshake();
    if (this.#plain.pending > 0) return this.#takePlaintext(n);
    this.#feed();
    this.#reportFailure();
    if (this.#plain.pending > 0) return this.#takePlaintext(n);
    const socket = this.#tls;
    if (socket && socket.readableLength > 0) {
      // Node decrypted more than we took while paused; it flows on resume, before the end.
      socket.resume();
      return undefined;
    }
    if (this.#peerClosed === 'close_notify') {
      if (this.#shutdownSent) throw new SSLZeroReturnError();
      return Buffer.alloc(0);
    }
    if (this.#peerClosed === 'eof') throw new SSLEOFError();
    return undefined;
  }

  #takePlaintext(n: number): Buffer {
    const out = this.#plain.read(n);
    if (this.#plain.pending < DEFAULT_PLAINTEXT_HIGH_WATER_MARK && this.#tls?.isPaused()) {
      this.#tls.resume();
    }
    return out;
  }

  write(data: Uint8Array): number {
    this.#reportFailure();
    if (!this.facts) this.doHandshake();
    if (this.#shutdownRequested || this.#peerClosed === 'eof') {
      throw new SSLZeroReturnError();
    }
    const socket = this.#tls as tls.TLSSocket;
    // Node encrypts on later turns: plaintext it holds counts against the same bound as the
    // ciphertext in the outgoing BIO, so a slow transport stops writers instead of growing memory.
    const limit = Math.min(this.#outgoing.highWaterMark, DEFAULT_OUTGOING_HIGH_WATER_MARK);
    if (this.#outgoing.isFull || this.#plaintextInFlight + this.#outgoing.pending >= limit) {
      throw wantWrite();
    }
    if (data.length === 0) return 0;
    // Node keeps a reference until the data is encrypted; the caller may reuse its buffer now.
    // The callback runs once Node has encrypted and handed on this chunk: the bound above has
    // room again, which the reader of progress$ must hear about.
    const length = data.length;
    this.#plaintextInFlight += length;
    socket.write(Buffer.from(data), () => {
      this.#plaintextInFlight -= length;
      if (!this.#failed) this.#progress.next('writable');
    });
    return data.length;
  }

  pending(): number {
    return this.#plain.pending;
  }

  // ------------------------------------------------------------------------------------------
  // shutdown

  shutdown(): void {
    this.#reportFailure();
    if (!this.facts) {
      throw new SSLError('shutdown while in init', { reason: 'SHUTDOWN_WHILE_IN_INIT' });
    }
    if (!this.#shutdownRequested) {
      this.#shutdownRequested = true;
      this.#tls?.end();
    }
    this.#feed();
    this.#reportFailure();
    if (this.#shutdownSent && this.#peerClosed === 'close_notify') return;
    if (this.#peerClosed === 'eof') throw new SSLEOFError();
    throw wantRead();
  }

  #onShutdownSent(): void {
    this.#shutdownSent = true;
    this.#progress.next('outgoing');
    if (this.#peerClosed) this.#progress.next('closed');
  }

  destroy(): void {
    if (this.#state !== 'failed' && this.#state !== 'closed') {
      this.#state = 'closed';
    }
    this.#incomingSubscription.unsubscribe();
    this.#gate.close();
    this.#tls?.destroy();
    this.#duplex.destroy();
    this.#plain.discard(this.#plain.pending);
    this.#progress.complete();
  }

  // ------------------------------------------------------------------------------------------
  // information

  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    // A failure no driving call has reported yet (the SSLObject answers for reported ones).
    if (this.#unreported !== undefined) throw this.#unreported;
    const socket = this.#tls as tls.TLSSocket; // the handshake is done: the SSLObject checked
    // Node's typings make the context mandatory; RFC 5705 distinguishes none from empty.
    const exportKeyingMaterial = socket.exportKeyingMaterial.bind(socket) as (
      length: number,
      label: string,
      context?: Buffer,
    ) => Buffer;
    return context
      ? exportKeyingMaterial(length, label, Buffer.from(context))
      : exportKeyingMaterial(length, label);
  }

  /**
   * node:tls has no post-handshake authentication: its client never offers the extension (the
   * config's postHandshakeAuth is ignored) and its server cannot send a CertificateRequest after
   * the handshake, so a server that verifies clients asks for the certificate during it.
   */
  verifyClientPostHandshake(): never {
    throw new NotImplementedError(
      'verify_client_post_handshake: the node engine (node:tls) cannot request a client ' +
        "certificate after the handshake; use the native engine ({ engine: 'native' })",
    );
  }

  session(): EngineSession | null {
    if (this.#session) return this.#session;
    const der = this.#tls?.getSession();
    if (!der || !this.facts) return null;
    this.#session = { ...parseSessionDer(der), der };
    return this.#session;
  }

  get sessionReused(): boolean {
    return this.facts?.reused ?? false;
  }

  protected trusted(): readonly Buffer[] {
    return this.#config.caCerts;
  }

  setConfig(config: EngineConfig): void {
    this.#config = config;
  }
}
