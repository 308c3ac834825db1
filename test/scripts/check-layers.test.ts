/**
 * scripts/check-layers.js, the layer check `npm run lint` runs: it passes on this repository and
 * fails, naming the file and the edge, on a tree with a wrong import.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/check-layers.js');

/** Runs the check over a tree made of `files` (path under the root: source text). */
function checkTree(files: Record<string, string>): { status: number | null; stderr: string } {
  const root = mkdtempSync(join(tmpdir(), 'rxtls-layers-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const run = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const ALLOWED = {
  'src/transport/transport.ts': 'export interface Transport {}\n',
  'src/transport/sansio/ssl-object.ts': "import type { Transport } from '../transport.js';\n",
  'src/transport/stream/ssl-socket.ts': "import { SSLObject } from '../sansio/ssl-object.js';\n",
  'src/di/tokens.ts': "import { injectable } from 'tsyringe';\n",
};

test('this repository passes the layer check', () => {
  const run = spawnSync(process.execPath, [SCRIPT, ROOT], { encoding: 'utf8' });
  assert.is(run.stderr, '');
  assert.is(run.status, 0);
});

test('a tree whose imports follow the table passes', () => {
  assert.equal(checkTree(ALLOWED), { status: 0, stderr: '' });
});

test('the stream importing the native engine fails, naming the file and the edge', () => {
  const run = checkTree({
    ...ALLOWED,
    'src/transport/engines/native/native-engine.ts': 'export class NativeEngine {}\n',
    'src/transport/stream/ssl-socket.ts':
      "import { NativeEngine } from '../engines/native/native-engine.js';\n",
  });
  assert.is(run.status, 1);
  assert.match(
    run.stderr,
    "src/transport/stream/ssl-socket.ts: imports '../engines/native/native-engine.js' " +
      '(src/transport/stream may not import src/transport/engines/native)',
  );
});

test('the x509 toolkit importing the transport layer fails', () => {
  const run = checkTree({
    ...ALLOWED,
    'src/x509/pem.ts': "export { type Transport } from '../transport/transport.js';\n",
  });
  assert.is(run.status, 1);
  assert.match(run.stderr, 'src/x509 may not import src/transport');
});

test('tsyringe imported outside src/di fails', () => {
  const run = checkTree({ ...ALLOWED, 'src/protocol/protocol.ts': "import 'tsyringe';\n" });
  assert.is(run.status, 1);
  assert.match(run.stderr, "src/protocol/protocol.ts: imports 'tsyringe' (only src/di may)");
});

test('a folder missing from the layer table fails', () => {
  const run = checkTree({ ...ALLOWED, 'src/misc/helper.ts': 'export const x = 1;\n' });
  assert.is(run.status, 1);
  assert.match(run.stderr, 'folder src/misc is not in the layer table');
});

test.run();
