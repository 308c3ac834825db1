/**
 * Pins the bench's load generator and the server it measures to different cores (issue 16: "server
 * pinned to one core and the load generator to the other"). Unpinned on this 2-core machine, the
 * scheduler moves both between the cores and the same server's CPU per handshake moved by 1.5x
 * between two measures of one run. `taskset -a` pins every thread a process has (V8's and libuv's
 * threads start before a server listens; threads started later inherit their parent's mask).
 * BENCH_PIN=0 turns it off; with fewer than two cores or no taskset nothing is pinned.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const enabled =
  process.env['BENCH_PIN'] !== '0' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** The load generator's core (this process and helpers whose CPU is not counted). */
export const CLIENT_CPU = 0;
/** The measured server's core. */
export const SERVER_CPU = 1;

export function pinningEnabled(): boolean {
  return enabled;
}

/** Pins every thread of `pid` to `cpu` (no-op when pinning is off). */
export function pin(pid: number | undefined, cpu: number): void {
  if (!enabled || pid === undefined) return;
  const result = spawnSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`taskset could not pin process ${pid} to CPU ${cpu}`);
}
