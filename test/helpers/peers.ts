/**
 * Real TLS peers as child processes on 127.0.0.1: `openssl s_server` / `s_client`, Python `ssl`
 * servers and clients, and `curl`. Readiness is read from each child's output (s_server prints
 * ACCEPT, the Python server prints its port), never waited for with a timer. Every child started
 * through a {@link Peers} registry is killed and awaited by `stopAll()` (call it in test.after).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** How long a peer may take to print what a test waits for. */
export const PEER_DEADLINE_MS = 20_000;

/** How a child process ended. */
export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running child process with its output collected. */
export class PeerProcess {
  readonly name: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** The port a server peer listens on (0 for clients until known). */
  port = 0;
  /** Resolves when the child has exited and its output streams are closed. */
  readonly exited: Promise<PeerExit>;
  #stdout = '';
  #stderr = '';
  #listeners = new Set<() => void>();
  #exit: PeerExit | undefined;

  constructor(name: string, command: string, args: readonly string[]) {
    this.name = name;
    this.child = spawn(command, args, { stdio: 'pipe' });
    this.child.stdout.setEncoding('latin1');
    this.child.stderr.setEncoding('latin1');
    this.child.stdout.on('data', (text: string) => {
      this.#stdout += text;
      this.#notify();
    });
    this.child.stderr.on('data', (text: string) => {
      this.#stderr += text;
      this.#notify();
    });
    // A peer that exits early closes its stdin; writes after that must not crash the run.
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.#stderr += String(error);
        this.#exit = { code: -1, signal: null };
        this.#notify();
        resolve(this.#exit);
      });
      this.child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
    });
  }

  get stdout(): string {
    return this.#stdout;
  }
  get stderr(): string {
    return this.#stderr;
  }
  /** Both streams, for failure messages and loose assertions. */
  get output(): string {
    return `${this.#stdout}\n${this.#stderr}`;
  }

  /** Waits until `stream` matches `pattern`; returns the match. Rejects on exit or deadline. */
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' | 'any' = 'any'): Promise<RegExpExecArray> {
    const text = (): string =>
      stream === 'stdout' ? this.#stdout : stream === 'stderr' ? this.#stderr : this.output;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(text());
        if (match) {
          done();
          resolve(match);
        } else if (this.#exit) {
          done();
          reject(new Error(`${this.name} exited before printing ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not print ${pattern} in time:\n${this.output}`));
      }, PEER_DEADLINE_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for the child to exit by itself (within the deadline, else kills it and rejects). */
  async finished(): Promise<PeerExit> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.name} did not exit in time:\n${this.output}`));
      }, PEER_DEADLINE_MS);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the `{"port": N}` line a Python server prints when it listens; records the port. */
  async announcedPort(): Promise<number> {
    const match = await this.waitFor(/^\{"port": (\d+)\}$/m, 'stdout');
    this.port = Number(match[1]);
    return this.port;
  }

  /** Writes to the child's stdin (openssl's interactive mode sends it to the TLS peer). */
  send(text: string): void {
    this.child.stdin.write(text);
  }

  /** Closes the child's stdin. */
  endInput(): void {
    this.child.stdin.end();
  }

  /** Kills the child if it still runs and waits until it is gone. */
  async stop(): Promise<void> {
    if (!this.#exit) this.child.kill('SIGKILL');
    await this.exited;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** Everything one test file started, so test.after can stop it all. */
export class Peers {
  readonly #running = new Set<PeerProcess>();

  /** Starts `command` and registers it. */
  spawn(name: string, command: string, args: readonly string[]): PeerProcess {
    const peer = new PeerProcess(name, command, args);
    this.#running.add(peer);
    return peer;
  }

  /** Starts `python3 -I -c program` with `config` as JSON in sys.argv[1] (PYTHON_COMMON's cfg). */
  spawnPython(name: string, program: string, config: unknown): PeerProcess {
    return this.spawn(name, 'python3', ['-I', '-c', program, JSON.stringify(config)]);
  }

  /** Kills and awaits every child started here. */
  async stopAll(): Promise<void> {
    const all = [...this.#running];
    this.#running.clear();
    await Promise.all(all.map((peer) => peer.stop()));
  }
}

/** A port that was free a moment ago: bind 127.0.0.1:0, read the port, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The TLS version flags of openssl's commands. */
export type TlsVersionFlag = '1.2' | '1.3';

function versionFlag(version: TlsVersionFlag | undefined): string[] {
  return version ? [`-tls${version.replace('.', '_')}`] : [];
}

/** Options of {@link startOpensslServer}. */
export interface OpensslServerOptions {
  cert: string;
  key: string;
  /** Trusted CAs for client certificates. */
  cafile?: string;
  /** `-Verify 1` (client certificate required) or `-verify 1` (requested). */
  verify?: 'required' | 'requested';
  alpn?: readonly string[];
  version?: TlsVersionFlag;
  /** `-rev` (echo lines reversed) or `-www` (an HTML status page); interactive when absent. */
  mode?: 'rev' | 'www';
}

/**
 * `openssl s_server` for one connection on a free port. In the default interactive mode it prints
 * what it receives on stdout and sends what is written to its stdin; stdin stays open until the
 * test ends it, because s_server closes the connection at stdin's EOF.
 */
export async function startOpensslServer(
  peers: Peers,
  options: OpensslServerOptions,
): Promise<PeerProcess> {
  const port = await freePort();
  const args = [
    's_server',
    '-accept',
    `127.0.0.1:${port}`,
    '-cert',
    options.cert,
    '-key',
    options.key,
    '-naccept',
    '1',
    ...versionFlag(options.version),
  ];
  if (options.cafile) args.push('-CAfile', options.cafile);
  if (options.verify === 'required') args.push('-Verify', '1', '-verify_return_error');
  if (options.verify === 'requested') args.push('-verify', '1');
  if (options.alpn) args.push('-alpn', options.alpn.join(','));
  if (options.mode) args.push(`-${options.mode}`);
  const peer = peers.spawn('openssl s_server', 'openssl', args);
  peer.port = port;
  await peer.waitFor(/^ACCEPT$/m, 'stdout');
  return peer;
}

/** Options of {@link startOpensslClient}. */
export interface OpensslClientOptions {
  servername?: string;
  cafile: string;
  cert?: string;
  key?: string;
  alpn?: readonly string[];
  version?: TlsVersionFlag;
  /** false: the full session summary on stdout (it names the ALPN protocol) instead of -brief. */
  brief?: boolean;
}

/**
 * `openssl s_client -brief` connecting to 127.0.0.1:`port`: it prints `CONNECTION ESTABLISHED`
 * and a summary (protocol, cipher, verification) on stderr, the server's data on stdout, and
 * sends its stdin to the server; it closes the connection at stdin's EOF.
 */
export function startOpensslClient(
  peers: Peers,
  port: number,
  options: OpensslClientOptions,
): PeerProcess {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    options.servername ?? 'localhost',
    '-CAfile',
    options.cafile,
    '-verify_return_error',
    ...(options.brief === false ? [] : ['-brief']),
    ...versionFlag(options.version),
  ];
  if (options.cert) args.push('-cert', options.cert);
  if (options.key) args.push('-key', options.key);
  if (options.alpn) args.push('-alpn', options.alpn.join(','));
  return peers.spawn('openssl s_client', 'openssl', args);
}

/** What the Python peers print when their connection is over. */
export interface PythonPeerResult {
  ok: boolean;
  error?: string;
  reason?: string | null;
  message?: string;
  received?: string;
  version?: string;
  cipher?: string;
  alpn?: string | null;
  peerCommonName?: string | null;
  /** 'ok' or the name of what unwrap() raised. */
  unwrap?: string;
}

/** The Python peers' shared start: imports, `cfg` from argv, describe/failure/accept_one/read_line/finish. */
export const PYTHON_COMMON = `
import json, socket, ssl, sys
cfg = json.loads(sys.argv[1])
def describe(tls, received):
    cert = tls.getpeercert()
    cn = dict(x[0] for x in cert['subject']).get('commonName') if cert else None
    return {'ok': True, 'received': received.decode('latin1'), 'version': tls.version(),
            'cipher': tls.cipher()[0], 'alpn': tls.selected_alpn_protocol(), 'peerCommonName': cn}
def failure(e):
    return {'ok': False, 'error': type(e).__name__, 'reason': getattr(e, 'reason', None),
            'message': str(e)}
def accept_one():
    # Listens on a free port, says which on stdout, and takes one connection.
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    print(json.dumps({'port': srv.getsockname()[1]}), flush=True)
    conn, _ = srv.accept()
    srv.close()
    return conn
def read_line(tls):
    data = b''
    while not data.endswith(b'\\n'):
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
def finish(tls, result):
    try:
        tls.unwrap()
        result['unwrap'] = 'ok'
    except Exception as e:
        result['unwrap'] = type(e).__name__
    print(json.dumps(result), flush=True)
`;

const PYTHON_SERVER = `${PYTHON_COMMON}
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cfg['cert'], cfg['key'])
if cfg.get('cafile'):
    ctx.load_verify_locations(cfg['cafile'])
    ctx.verify_mode = ssl.CERT_REQUIRED
if cfg.get('alpn'):
    ctx.set_alpn_protocols(cfg['alpn'])
if cfg.get('maxVersion'):
    ctx.maximum_version = getattr(ssl.TLSVersion, cfg['maxVersion'])
conn = accept_one()
try:
    tls = ctx.wrap_socket(conn, server_side=True)
    line = read_line(tls)
    tls.sendall(b'python got: ' + line)
    finish(tls, describe(tls, line))
except Exception as e:
    print(json.dumps(failure(e)), flush=True)
`;

const PYTHON_CLIENT = `${PYTHON_COMMON}
ctx = ssl.create_default_context(cafile=cfg['cafile'])
if cfg.get('cert'):
    ctx.load_cert_chain(cfg['cert'], cfg['key'])
if cfg.get('alpn'):
    ctx.set_alpn_protocols(cfg['alpn'])
sock = socket.create_connection(('127.0.0.1', cfg['port']))
try:
    tls = ctx.wrap_socket(sock, server_hostname=cfg['hostname'])
    tls.sendall(cfg['message'].encode())
    finish(tls, describe(tls, read_line(tls)))
except Exception as e:
    print(json.dumps(failure(e)), flush=True)
`;

/** Options of {@link startPythonServer}. */
export interface PythonServerOptions {
  cert: string;
  key: string;
  /** Require client certificates issued by this CA. */
  cafile?: string;
  alpn?: readonly string[];
  maxVersion?: 'TLSv1_2' | 'TLSv1_3';
}

/**
 * A Python `ssl` server for one connection: reads a line, answers `python got: <line>`, unwraps
 * and prints a {@link PythonPeerResult} as one JSON line after its `{"port": N}` line.
 */
export async function startPythonServer(
  peers: Peers,
  options: PythonServerOptions,
): Promise<PeerProcess> {
  const peer = peers.spawnPython('python ssl server', PYTHON_SERVER, options);
  await peer.announcedPort();
  return peer;
}

/** Options of {@link startPythonClient}. */
export interface PythonClientOptions {
  cafile: string;
  hostname?: string;
  cert?: string;
  key?: string;
  alpn?: readonly string[];
  /** Sent after the handshake; should end with a newline. */
  message: string;
}

/** A Python `ssl` client: sends `message`, reads one line back, unwraps, prints its result. */
export function startPythonClient(
  peers: Peers,
  port: number,
  options: PythonClientOptions,
): PeerProcess {
  return peers.spawnPython('python ssl client', PYTHON_CLIENT, {
    hostname: 'localhost',
    ...options,
    port,
  });
}

/** The last JSON line a Python peer printed, once it has exited. */
export async function pythonResult(peer: PeerProcess): Promise<PythonPeerResult> {
  await peer.finished();
  const lines = peer.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as PythonPeerResult;
  } catch {
    throw new Error(`${peer.name} printed no result:\n${peer.output}`);
  }
}

/** Options of {@link startCurl}. */
export interface CurlOptions {
  cacert: string;
  path?: string;
  /** `--http1.1` (offer only http/1.1 by ALPN); curl offers h2 and http/1.1 otherwise. */
  http11?: boolean;
}

/**
 * `curl https://localhost:PORT/...` resolved to 127.0.0.1, printing the body then a last line
 * `status=<code> verify=<ssl_verify_result> http=<version>`.
 */
export function startCurl(peers: Peers, port: number, options: CurlOptions): PeerProcess {
  return peers.spawn('curl', 'curl', [
    '--silent',
    '--show-error',
    '--max-time',
    String(PEER_DEADLINE_MS / 1000),
    '--cacert',
    options.cacert,
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    ...(options.http11 ? ['--http1.1'] : []),
    '--write-out',
    '\\nstatus=%{http_code} verify=%{ssl_verify_result} http=%{http_version}\\n',
    `https://localhost:${port}${options.path ?? '/'}`,
  ]);
}
