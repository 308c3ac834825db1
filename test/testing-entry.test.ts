import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('rxtls/testing resolves through package.json exports with memoryPipe and the pump', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import * as t from 'rxtls/testing'; import * as r from 'rxtls'; console.log(JSON.stringify([Object.keys(t).sort(), typeof r.SSLContext]))",
    ],
    { encoding: 'utf8' },
  );
  const [names, ctx] = JSON.parse(out) as [string[], string];
  for (const name of ['memoryPipe', 'handshake', 'pumpUntil', 'transfer']) {
    assert.ok(names.includes(name), name);
  }
  assert.is(ctx, 'function');
});

test.run();
