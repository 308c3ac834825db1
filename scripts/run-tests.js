#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with uvu in one process, then prints
// the plain closing line "N passed, N failed" that CI reads. An optional argument filters files
// by substring: `node scripts/run-tests.js context/decode`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { run } from 'uvu/run';

const root = resolve('dist/test');
const filter = process.argv[2] ?? '';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = walk(root).filter((file) => relative(root, file).includes(filter));
const suites = files.map((file) => ({ name: relative(root, file), file }));

// uvu prints its own totals; keep a copy of what it writes so the closing line can be derived.
let transcript = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  transcript += String(chunk);
  return write(chunk, ...rest);
};

await run(suites, { bail: false });

process.stdout.write = write;
const plain = transcript.replace(/\u001b\[[0-9;]*m/g, '');
const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
console.log(`${passed} passed, ${total - passed} failed`);
if (total === 0) process.exitCode = 1;

// Every socket, server, timer and child a test opens must be closed: if the process does not
// exit on its own soon, name what keeps it alive and fail instead of hanging CI.
const LEAK_GRACE_MS = 10_000;
setTimeout(() => {
  const handles = process._getActiveHandles().map((h) => h?.constructor?.name ?? typeof h);
  console.error(`tests finished but handles are still open: ${handles.join(', ')}`);
  process.exit(1);
}, LEAK_GRACE_MS).unref();
