#!/usr/bin/env node
// Runs the whole suite once per engine (RXTLS_ENGINE=native, then node), so every test of the
// stream, protocol and command layers holds on both, not only the contract suite. Each run is
// scripts/run-tests.js in its own process (c8, wrapping this script, collects both); the closing
// line "N passed, N failed" adds them up. Without the native addon only the node run happens.
// An optional argument filters test files as run-tests.js does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { engineAvailable } from '../dist/src/transport/engines/engines.js';
import { nativeLoadError } from '../dist/src/transport/engines/native/native-binding.js';

/** Runs the suite with one engine, echoing its output, and resolves to its closing counts. */
function runSuite(engine) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run-tests.js', ...process.argv.slice(2)], {
      env: { ...process.env, RXTLS_ENGINE: engine },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-200);
    });
    child.on('close', (status) => {
      const counts = /(\d+) passed, (\d+) failed\s*$/.exec(tail);
      resolve({
        passed: Number(counts?.[1] ?? 0),
        failed: Number(counts?.[2] ?? 0),
        ok: counts !== null && status === 0,
      });
    });
  });
}

const engines = engineAvailable('native') ? ['native', 'node'] : ['node'];
if (engines.length === 1) {
  // No addon at all (no compiler) is a supported setup; an addon that is there but will not load
  // (built from older native/ sources: an ABI mismatch) would quietly halve the suite.
  const built = existsSync(new URL('../build/Release/rxtls_native.node', import.meta.url));
  if (built) {
    console.error(`the native addon in build/Release does not load: ${nativeLoadError()}`);
    process.exit(1);
  }
  console.log('native addon unavailable: running the node engine only');
}

let passed = 0;
let failed = 0;
let ok = true;
for (const engine of engines) {
  console.log(`\n=== engine: ${engine} ===`);
  const result = await runSuite(engine);
  passed += result.passed;
  failed += result.failed;
  ok &&= result.ok;
}
console.log(`\n${passed} passed, ${failed} failed`);
if (!ok || failed > 0 || passed === 0) process.exitCode = 1;
