/**
 * Loads the native addon and describes what it exports. node-gyp-build finds it: a local build
 * (build/Release, from `npm run build:native` in a checkout) first, else the prebuilt binary the package
 * ships for this platform (prebuilds/<platform>-<arch>/), as docs/architecture.md ("Prebuilt
 * binaries") describes. Loading never throws: where no addon is found, it does not load, or it was
 * built with other ABI numbers than abi.ts holds, {@link nativeEngineAvailable} is false and the
 * node engine is used instead.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ABI } from './abi.js';

/** The package root from dist/src/transport/engines/native (the compiled location of this file). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** A compiled SSL_CTX, owned by this object (freed by its finalizer). */
export interface NativeContextHandle {
  readonly __nativeContext: unique symbol;
}

/** One SSL with its two memory BIOs, owned by this object (freed by destroy() or the GC). */
export interface NativeEngineHandle {
  readonly __nativeEngine: unique symbol;
}

/** A resumable SSL_SESSION reference, with Python's SSLSession fields. */
export interface NativeSessionHandle {
  readonly id: Buffer;
  readonly time: number;
  readonly timeout: number;
  readonly ticketLifetimeHint: number;
  readonly hasTicket: boolean;
}

/**
 * An OpenSSL failure as the addon describes it: `SSL_get_error()`'s value, the call's return and
 * the last error on OpenSSL's queue (as Python's PySSL_SetError reads it).
 */
export interface NativeErrorDescription {
  readonly rxtlsNative: true;
  readonly sslError: number;
  readonly ret: number;
  /** OpenSSL's library number when the queue held an error. */
  readonly lib?: number;
  readonly library?: string;
  readonly reason?: string;
  readonly reasonText?: string;
  readonly systemError?: number;
  readonly verifyCode?: number;
  readonly verifyMessage?: string;
  /** A fixed message (context errors such as "No cipher can be selected."). */
  readonly message?: string;
}

/** The options `newContext` reads: an EngineConfig flattened to what C can read. */
export interface NativeContextOptions {
  side: number;
  options: number;
  minVersion: number;
  maxVersion: number;
  verifyMode: number;
  verifyFlags: number;
  hostnameChecksCommonName: boolean;
  caCerts: readonly Buffer[];
  crls: readonly Buffer[];
  /** One chain per key type, loaded in order (a later one of the same type replaces). */
  credentials: ReadonlyArray<{
    certChainPem: string;
    keyPem: string;
    passphrase: string | undefined;
  }>;
  ciphers: string | undefined;
  ciphersuites: string | undefined;
  groups: string | undefined;
  dhParamsPem: string | undefined;
  alpn: Buffer | undefined;
  numTickets: number;
  /** 48-byte keys back to back, newest first (the ring: native/context.c). */
  ticketKeys: Buffer;
  sessionIdContext: Buffer;
  keylog: boolean;
  sni: boolean;
  clientHello: boolean;
  pskClient: boolean;
  pskServer: boolean;
  pskIdentityHint: string | undefined;
  postHandshakeAuth: boolean;
}

/** Called by the addon during a driving call for the ClientHello, SNI, PSK and keylog hooks. */
export type NativeDispatch = (kind: string, arg: string | null) => unknown;

/**
 * What `drive` answers: its plain result alone when there is nothing else, or
 * `[result, outgoing, unread remainder, error]`. A read that gathered data before failing answers
 * both the data and the error: the error is for the next call.
 */
export type NativeDriveResult =
  | unknown
  | [
      result: unknown,
      out: Buffer | undefined,
      remainder: Buffer | undefined,
      error: NativeErrorDescription | undefined,
    ];

export { DRIVE_STATE_LENGTH, DriveState, SocketEvent } from './abi.js';

/** A TCP handle on Node's libuv loop, owned by the addon (native/socket.c). */
export interface NativeSocketHandle {
  readonly __nativeSocket: unique symbol;
}

export type SocketEvents = (kind: number, a: unknown, b: unknown) => void;

/** The addon's TCP functions. Failures of the calls throw an Error whose code is libuv's name. */
export interface NativeSocketBinding {
  /**
   * A listener on host:port. `reusePort`: SO_REUSEPORT, so that several processes listen on one
   * address (Linux spreads connections over them); `listening` false only binds the address.
   */
  listen(
    host: string,
    port: number,
    backlog: number,
    events: SocketEvents,
    reusePort: boolean,
    listening: boolean,
  ): NativeSocketHandle;
  connect(host: string, port: number, events: SocketEvents): NativeSocketHandle;
  setEvents(socket: NativeSocketHandle, events: SocketEvents): void;
  /** Sends what the kernel takes now and queues the rest (a copy); answers the bytes queued. */
  write(socket: NativeSocketHandle, bytes: Uint8Array): number;
  readStart(socket: NativeSocketHandle): void;
  /** Whether the open socket keeps the event loop alive (net.Socket's ref()/unref()). */
  ref(socket: NativeSocketHandle, on: boolean): void;
  /** TCP_NODELAY (on from the start). */
  setNoDelay(socket: NativeSocketHandle, on: boolean): void;
  /** TCP keepalive probes after `delaySeconds` idle (libuv's unit). */
  setKeepAlive(socket: NativeSocketHandle, on: boolean, delaySeconds: number): void;
  readStop(socket: NativeSocketHandle): void;
  end(socket: NativeSocketHandle): void;
  close(socket: NativeSocketHandle, reset: boolean): void;
  address(socket: NativeSocketHandle, remote: boolean): [string, string, number] | null;
  /** The engine's ciphertext travels on the socket from now on (both must be fresh). */
  fuse(socket: NativeSocketHandle, engine: NativeEngineHandle): void;
  /** Ends the fusion; answers the ciphertext the engine had not read (after a close_notify). */
  unfuse(socket: NativeSocketHandle): Buffer;
}

/** The addon's exports. */
export interface NativeBinding {
  opensslVersion(): string;
  newContext(options: NativeContextOptions): NativeContextHandle;
  newEngine(
    context: NativeContextHandle,
    serverSide: boolean,
    hostname: string | null,
    checkHostname: boolean,
    session: NativeSessionHandle | null,
  ): NativeEngineHandle;
  drive(
    engine: NativeEngineHandle,
    op: number,
    n: number,
    data: Uint8Array | undefined,
    input: Buffer | undefined,
    eofAfter: boolean,
    dispatch: NativeDispatch,
    state: Int32Array,
  ): NativeDriveResult;
  destroy(engine: NativeEngineHandle): void;
  setContext(engine: NativeEngineHandle, context: NativeContextHandle): void;
  info(engine: NativeEngineHandle, what: number): unknown;
  exportKeyingMaterial(
    engine: NativeEngineHandle,
    length: number,
    label: Buffer,
    context: Uint8Array | undefined,
  ): Buffer;
  /** SSL_verify_client_post_handshake; throws a {@link NativeErrorDescription} on failure. */
  verifyClientPostHandshake(engine: NativeEngineHandle): void;
  readonly socket: NativeSocketBinding;
  /** The ABI numbers the addon was built with (native/abi.h), checked against abi.ts at load. */
  readonly abi: unknown;
}

/** The table abi.ts holds ({@link ABI}), or any other of its shape. */
export type AbiTable = { readonly version: number } & {
  readonly [key: string]: number | { readonly [name: string]: number };
};

/**
 * Why an addon that exports `built` as its ABI table cannot serve code expecting `expected`: one
 * line naming the first difference, or undefined when every number agrees. Pure, for tests.
 */
export function abiMismatch(built: unknown, expected: AbiTable = ABI): string | undefined {
  const rebuild = 'run npm run build:native';
  const table = isTable(built) ? built : undefined;
  if (table === undefined || typeof table['version'] !== 'number') {
    return `rxtls: the native addon exports no ABI version but this code expects ABI ${expected.version}: ${rebuild}`;
  }
  if (table['version'] !== expected.version) {
    return `rxtls: the native addon was built for ABI ${table['version']} but this code expects ABI ${expected.version}: ${rebuild}`;
  }
  const differs = (path: string, got: unknown, want: unknown) =>
    `rxtls: the native addon's ABI ${expected.version} differs from this code's at ${path} ` +
    `(${describe(got)} in the addon, ${describe(want)} here): ${rebuild}`;
  for (const key of keysOf(expected, table)) {
    const want = expected[key];
    const got = table[key];
    if (isTable(want) && isTable(got)) {
      for (const name of keysOf(want, got)) {
        if (got[name] !== want[name]) return differs(`${key}.${name}`, got[name], want[name]);
      }
    } else if (got !== want) {
      return differs(key, got, want);
    }
  }
  return undefined;
}

function isTable(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

function keysOf(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  return typeof value === 'number' ? String(value) : typeof value;
}

let loaded: NativeBinding | undefined;
let loadError: unknown;
let attempted = false;

function load(): NativeBinding | undefined {
  if (!attempted) {
    attempted = true;
    try {
      const require = createRequire(import.meta.url);
      // node-gyp-build is CommonJS: `.path(root)` names the addon file or throws when none fits.
      const nodeGypBuild = require('node-gyp-build') as { path(root: string): string };
      const binding = require(nodeGypBuild.path(PACKAGE_ROOT)) as NativeBinding;
      // An addon built from other sources would read the numbers otherwise: refused, not guessed.
      const mismatch = abiMismatch(binding.abi);
      if (mismatch === undefined) loaded = binding;
      else loadError = new Error(mismatch);
    } catch (error) {
      loadError = error;
    }
  }
  return loaded;
}

/** True when the native addon is built and loads in this process. Never throws. */
export function nativeEngineAvailable(): boolean {
  return load() !== undefined;
}

/**
 * Why the addon did not load (for a debug message), or undefined when it did: the loader's error,
 * or an Error whose one-line message names the ABI mismatch.
 */
export function nativeLoadError(): unknown {
  load();
  return loadError;
}

/**
 * The loaded addon.
 * @internal
 */
export function nativeBinding(): NativeBinding {
  const binding = load();
  if (binding === undefined) {
    throw new Error('rxtls: the native engine is not available', { cause: loadError });
  }
  return binding;
}
