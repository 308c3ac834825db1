/**
 * The executable reference: Python 3.11's `ssl` on this machine. Differential tests run a short
 * Python program and compare its JSON answer with rxtls's.
 */
import { execFileSync } from 'node:child_process';

/** Runs `python3 -c program` with `input` on stdin and parses the JSON it prints. */
export function python<T = unknown>(program: string, input?: unknown): T {
  const stdout = execFileSync('python3', ['-I', '-c', program], {
    input: input === undefined ? '' : JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return JSON.parse(stdout) as T;
}
