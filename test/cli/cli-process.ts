/**
 * The built `rxtls` command (or an example) as a child process, driven as a user would: read
 * its stdout until a line says it is ready (never sleep), write its stdin, signal it, await its
 * exit. Every process started here is stopped by {@link stopAll} (call it in test.after).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/rxtls.js, which runs dist/src/cli/main.js. */
export const BIN = fileURLToPath(new URL('../../../bin/rxtls.js', import.meta.url));
/** The compiled demo server. */
export const DEMO = fileURLToPath(new URL('../../examples/demo-server.js', import.meta.url));

/** How long any wait on a child may take before the test fails instead of hanging. */
const WAIT_MS = 30_000;

/** How a child ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<CliProcess>();

/** One child process with its output collected. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #waiters: (() => void)[] = [];

  constructor(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('latin1');
      this.#notify();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('latin1');
      this.#notify();
    });
    this.child.stdin?.on('error', () => undefined); // the child may exit before reading it all
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this);
        this.#notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Resolves with the first match of `pattern` in stdout (or stderr); fails if the child exits. */
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${pattern} in ${stream}: ${this[stream]}`));
      }, WAIT_MS);
      const check = () => {
        const match = pattern.exec(this[stream]);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`exited before ${pattern}: ${this.stdout}\n${this.stderr}`));
        } else {
          this.#waiters.push(check);
        }
      };
      check();
    });
  }

  /** Kills the child if it still runs and waits for it. */
  async stop(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Starts `node bin/rxtls.js ...args` in `cwd`. */
export function rxtls(cwd: string, args: string[], env?: NodeJS.ProcessEnv): CliProcess {
  return new CliProcess(BIN, args, cwd, env);
}

/** Runs `rxtls ...args` to its end with `input` on stdin. */
export function rxtlsRun(cwd: string, args: string[], input = ''): Promise<Exit> {
  const process = rxtls(cwd, args);
  process.child.stdin?.end(input);
  return process.exited;
}

/** Starts `rxtls serve ...args` and resolves once it listens, with its port. */
export async function serve(cwd: string, args: string[]): Promise<[CliProcess, number]> {
  const server = rxtls(cwd, ['serve', '--port', '0', ...args]);
  const [, port] = await server.waitFor(/listening on \S+:(\d+)\n/);
  return [server, Number(port)];
}

/** Kills and awaits every child still running (test.after). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** The processes holding the server's side of the established connections on `port` (ss). */
export function serverPids(port: number): Set<number> {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], {
    encoding: 'utf8',
  });
  return new Set([...out.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])));
}

/** The child processes of `pid` (ps). */
export function childrenOf(pid: number): Set<number> {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return new Set(out.split('\n').filter(Boolean).map(Number));
}
