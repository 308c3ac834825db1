#!/usr/bin/env node
// Builds this platform's prebuilt addon into prebuilds/<platform>-<arch>/ (run by `prepack`, so
// the packed package ships a binary built from the very native/ sources it packs). prebuildify
// builds in a temporary copy of binding.gyp, native/ and package.json: it moves the binary it
// builds out of build/Release, and the checkout's own build must stay where tests and
// node-gyp-build find it. docs/architecture.md ("Prebuilt binaries") says why the flags are these.
// `--clean` (run by `postpack`) removes this platform's prebuilt directory again: git holds no
// binaries, and a checkout must not keep loading a binary from an older pack after native/ changes.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const prebuildify = join(dirname(require.resolve('prebuildify/package.json')), 'bin.js');
// npm's own node-gyp (npm names it to the scripts it runs), as `npm install` builds with it.
const nodeGyp = process.env['npm_config_node_gyp'] ?? 'node-gyp';

if (process.argv.includes('--clean')) {
  rmSync(join(root, 'prebuilds', `${platform()}-${arch()}`), { recursive: true, force: true });
  // The directory itself goes too when this platform's was all it held.
  const dir = join(root, 'prebuilds');
  if (existsSync(dir) && readdirSync(dir).length === 0) {
    rmSync(dir, { recursive: true });
  }
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'rxtls-prebuild-'));
let status = 1;
try {
  for (const entry of ['binding.gyp', 'native', 'package.json']) {
    cpSync(join(root, entry), join(work, entry), { recursive: true });
  }
  // --napi: one binary per platform for every Node with N-API 8 (native/addon.h). --strip: no
  // debug symbols in what ships. --tag-libc: a glibc build is never picked on musl (Alpine).
  const args = ['--napi', '--strip', '--tag-libc', '--cwd', work, '--out', root];
  const run = spawnSync(process.execPath, [prebuildify, ...args], {
    stdio: 'inherit',
    env: { ...process.env, PREBUILD_NODE_GYP: nodeGyp },
  });
  status = run.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = status;
