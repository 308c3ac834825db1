// `rxtls serve --echo` in a child process, for the benches that watch a server from outside
// (soak, slow peers, idle heap): started on a free port, with its RSS read from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);

/** Starts `rxtls serve --echo` in `dir` (node flags first, e.g. --heapsnapshot-signal): { child, port }. */
export function startEchoServer(dir, nodeFlags = []) {
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      join(root, 'bin/rxtls.js'),
      'serve',
      '--echo',
      '--port',
      '0',
      '--max-connections',
      '20000',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((ready, fail) => {
    let out = '';
    child.once('exit', (code) => fail(new Error(`rxtls serve exited with ${code}: ${out}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const port = /listening on \S+:(\d+)/.exec(out)?.[1];
      if (port) ready({ child, port: Number(port) });
    });
  });
}

/** RSS of a process in KiB, from /proc. */
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}
