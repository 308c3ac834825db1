import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CIPHERTEXT_RECORD } from '../../../../src/transport/limits.js';
import { ABI, ABI_VERSION, FEED_LIMIT } from '../../../../src/transport/engines/native/abi.js';
import {
  type AbiTable,
  abiMismatch,
} from '../../../../src/transport/engines/native/native-binding.js';

/** The repository, from dist/test/transport/engines/native where this file runs. */
const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const ADDON = join(ROOT, 'build/Release/rxtls_native.node');
const GENERATOR = join(ROOT, 'scripts/gen-abi.mjs');
const GENERATED = ['native/abi.h', 'src/transport/engines/native/abi.ts'];

/** A deep copy of abi.ts's table that a test may change. */
function copy(): Record<string, unknown> & { version: number } {
  return structuredClone(ABI) as unknown as Record<string, unknown> & { version: number };
}

// The addon is read here directly, not through native-binding.ts: a stale build is refused there,
// and these tests must see it to report it.
if (existsSync(ADDON)) {
  test("the built addon's ABI table equals abi.ts entry by entry", () => {
    const built = (createRequire(import.meta.url)(ADDON) as { abi: Record<string, unknown> }).abi;
    assert.type(built, 'object');
    assert.equal(Object.keys(built).sort(), Object.keys(ABI).sort(), 'the same names at the top');
    for (const [key, want] of Object.entries(ABI)) {
      const got = built[key];
      if (typeof want === 'number') {
        assert.is(got, want, key);
        continue;
      }
      assert.type(got, 'object', key);
      const group = got as Record<string, unknown>;
      assert.equal(Object.keys(group).sort(), Object.keys(want).sort(), `the names of ${key}`);
      for (const [name, value] of Object.entries(want))
        assert.is(group[name], value, `${key}.${name}`);
    }
    assert.is(abiMismatch(built), undefined);
  });

  test('an addon whose exported table differs is unavailable, with the one-line reason', () => {
    // The addon is loaded once per process: a child changes the version of the table it exports
    // (the same module object native-binding.ts then gets from require's cache) before it loads.
    const binding = join(ROOT, 'dist/src/transport/engines/native/native-binding.js');
    const script = `
      import { createRequire } from 'node:module';
      createRequire(import.meta.url)(${JSON.stringify(ADDON)}).abi.version = ${ABI_VERSION + 1};
      const { nativeEngineAvailable, nativeLoadError } = await import(${JSON.stringify(binding)});
      const error = nativeLoadError();
      console.log(JSON.stringify([nativeEngineAvailable(), error instanceof Error, error?.message]));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(JSON.parse(out), [
      false,
      true,
      `rxtls: the native addon was built for ABI ${ABI_VERSION + 1} but this code expects ABI ${ABI_VERSION}: run npm run build:native`,
    ]);
  });
} else {
  test('the addon is not built, so its ABI table is not compared', () => {
    assert.not.ok(existsSync(ADDON));
  });
}

test("FEED_LIMIT is four full TLS records, limits.ts's MAX_CIPHERTEXT_RECORD", () => {
  assert.is(FEED_LIMIT, 4 * MAX_CIPHERTEXT_RECORD);
});

test('abiMismatch accepts a table equal to abi.ts', () => {
  assert.is(abiMismatch(copy()), undefined);
});

test('abiMismatch names another ABI version in one line', () => {
  const built = { ...copy(), version: ABI_VERSION + 2 };
  assert.is(
    abiMismatch(built),
    `rxtls: the native addon was built for ABI ${ABI_VERSION + 2} but this code expects ABI ${ABI_VERSION}: run npm run build:native`,
  );
});

test('abiMismatch names an addon without a table, or without a version', () => {
  const none = `rxtls: the native addon exports no ABI version but this code expects ABI ${ABI_VERSION}: run npm run build:native`;
  assert.is(abiMismatch(undefined), none);
  const { version: _, ...unversioned } = copy();
  assert.is(abiMismatch(unversioned), none);
});

test('abiMismatch names the first number that differs under the same version', () => {
  const built = copy();
  (built['Op'] as Record<string, number>)['Write'] = 7;
  const message = abiMismatch(built);
  assert.is(
    message,
    `rxtls: the native addon's ABI ${ABI_VERSION} differs from this code's at Op.Write (7 in the addon, 2 here): run npm run build:native`,
  );
  assert.not.match(message ?? '', '\n');
});

test('abiMismatch names an entry only one side has, and a changed constant', () => {
  const extra = copy();
  (extra['SocketEvent'] as Record<string, number>)['Timeout'] = 10;
  assert.match(abiMismatch(extra) ?? '', 'at SocketEvent.Timeout (10 in the addon, missing here)');
  const fewer = copy();
  delete (fewer['Info'] as Record<string, number>)['VerifyResult'];
  assert.match(abiMismatch(fewer) ?? '', 'at Info.VerifyResult (missing in the addon, 14 here)');
  const limit = copy();
  limit['FEED_LIMIT'] = 65_536;
  assert.match(abiMismatch(limit) ?? '', 'at FEED_LIMIT (65536 in the addon, 73728 here)');
  const expected: AbiTable = { version: 1, Op: { Read: 1 } };
  assert.match(
    abiMismatch({ version: 1 }, expected) ?? '',
    'at Op (missing in the addon, object here)',
  );
});

test('the generator writes exactly the committed native/abi.h and abi.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-abi-'));
  try {
    execFileSync(process.execPath, [GENERATOR, '--root', dir]);
    for (const path of GENERATED) {
      const committed = readFileSync(join(ROOT, path), 'utf8');
      assert.ok(
        committed.includes('GENERATED by scripts/gen-abi.mjs'),
        `${path} says it is generated`,
      );
      assert.is(
        readFileSync(join(dir, path), 'utf8'),
        committed,
        `${path} is the generator's output`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the generator in check mode passes this tree and names a file edited by hand', () => {
  const clean = spawnSync(process.execPath, [GENERATOR, '--check', '--root', ROOT], {
    encoding: 'utf8',
  });
  assert.is(clean.status, 0, clean.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-abi-'));
  try {
    execFileSync(process.execPath, [GENERATOR, '--root', dir]);
    const header = join(dir, 'native/abi.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('OP_WRITE = 2', 'OP_WRITE = 3'));
    const edited = spawnSync(process.execPath, [GENERATOR, '--check', '--root', dir], {
      encoding: 'utf8',
    });
    assert.is(edited.status, 1);
    assert.match(edited.stderr, 'native/abi.h: differs');
    assert.not.match(edited.stderr, 'abi.ts: differs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
