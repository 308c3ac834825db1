/**
 * Two native TLS engines joined over MemoryBIOs in one process, for engine-level tests: make a
 * client and a server engine, move the bytes between them, run both handshakes to their end.
 */
import { SSLWantReadError } from '../../src/errors/errors.js';
import { createNativeEngine } from '../../src/transport/engines/native/native-engine.js';
import type { EngineConfig, EngineSession, TlsEngine } from '../../src/transport/sansio/engine.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import { SSLObject } from '../../src/transport/sansio/ssl-object.js';

/** Handshake rounds before {@link handshake} gives up (a full handshake needs a few). */
const MAX_ROUNDS = 20;

/** What the handshake loop drives: an engine, or the SSLObject over one. */
export interface Side {
  doHandshake(): void;
  readonly handshakeComplete: boolean;
}

/** A client and a server engine (or SSLObjects over them) with their BIOs, and how each failed. */
export interface EnginePair<S extends Side = TlsEngine> {
  client: S;
  server: S;
  cIn: MemoryBIO;
  cOut: MemoryBIO;
  sIn: MemoryBIO;
  sOut: MemoryBIO;
  clientError?: unknown;
  serverError?: unknown;
}

/** A client engine (asking for `hostname`, offering `session`) and a server engine, not started. */
export function pair(
  clientConfig: EngineConfig,
  srvConfig: EngineConfig,
  hostname: string | null = 'localhost',
  session: EngineSession | null = null,
): EnginePair {
  const cIn = new MemoryBIO();
  const cOut = new MemoryBIO();
  const sIn = new MemoryBIO();
  const sOut = new MemoryBIO();
  const client = createNativeEngine(
    clientConfig,
    { serverSide: false, serverHostname: hostname, session },
    cIn,
    cOut,
  );
  const server = createNativeEngine(
    srvConfig,
    { serverSide: true, serverHostname: null, session: null },
    sIn,
    sOut,
  );
  return { client, server, cIn, cOut, sIn, sOut };
}

/**
 * The same engines behind SSLObjects, as SSLContext.wrapBio() puts them: for what the object adds
 * (an engine reports a fatal error once; the object keeps it for every later call).
 */
export function wrapped(p: EnginePair): EnginePair<SSLObject> {
  const wrap = (engine: TlsEngine, incoming: MemoryBIO, outgoing: MemoryBIO, serverSide: boolean) =>
    new SSLObject({
      engine,
      incoming,
      outgoing,
      serverSide,
      serverHostname: null,
      context: undefined,
      decodeCert: () => ({}),
    });
  return {
    ...p,
    client: wrap(p.client, p.cIn, p.cOut, false),
    server: wrap(p.server, p.sIn, p.sOut, true),
  };
}

/** Moves what each side wrote to the other; returns how many bytes moved. */
export function flush(p: EnginePair<Side>): number {
  const a = p.cOut.read();
  const b = p.sOut.read();
  if (a.length > 0) p.sIn.write(a);
  if (b.length > 0) p.cIn.write(b);
  return a.length + b.length;
}

function step(side: Side): unknown {
  try {
    side.doHandshake();
  } catch (error) {
    if (!(error instanceof SSLWantReadError)) return error;
  }
  return undefined;
}

/** Runs both handshakes over the BIOs until both finish or one fails (bounded). */
export function handshake<S extends Side>(p: EnginePair<S>): EnginePair<S> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (p.clientError === undefined && !p.client.handshakeComplete) p.clientError = step(p.client);
    flush(p);
    if (p.serverError === undefined && !p.server.handshakeComplete) p.serverError = step(p.server);
    const moved = flush(p);
    const clientDone = p.clientError !== undefined || p.client.handshakeComplete;
    const serverDone = p.serverError !== undefined || p.server.handshakeComplete;
    if (clientDone && serverDone && moved === 0) break;
  }
  return p;
}

/** A pair whose handshakes succeeded; throws the first side's error otherwise. */
export function connected(
  clientConfig: EngineConfig,
  srvConfig: EngineConfig,
  hostname = 'localhost',
): EnginePair {
  const p = handshake(pair(clientConfig, srvConfig, hostname));
  if (p.clientError !== undefined) throw p.clientError;
  if (p.serverError !== undefined) throw p.serverError;
  return p;
}
