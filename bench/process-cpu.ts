/**
 * CPU time of every thread of a process (the main thread, V8's compiler and GC threads, libuv's
 * pool), in microseconds, from the scheduler's nanosecond counters: /proc/<pid>/stat counts
 * 10 ms ticks, too coarse for a few hundred handshakes. Linux only, as every server bench here.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function cpuMicros(pid: number): number {
  let nanos = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read: its time is gone with it.
    }
  }
  return nanos / 1000;
}
