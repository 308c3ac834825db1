import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as rxtls from '../src/index.js';
import { python } from './helpers/python.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## Python `ssl` -> rxtls'),
  readme.indexOf('### Members'),
);
const rows: [string, string][] = [...section.matchAll(/^\| `([A-Za-z_0-9]+)` \| (.+) \|$/gm)].map(
  (m) => [m[1] ?? '', m[2] ?? ''],
);

test('the README maps every public name of Python 3.11 ssl', () => {
  const names = python<string[]>(
    "import ssl, json; print(json.dumps(sorted(n for n in dir(ssl) if not n.startswith('_'))))",
  );
  const mapped = new Set(rows.map(([name]) => name));
  const missing = names.filter((name) => !mapped.has(name));
  assert.equal(missing, []);
});

test('every rxtls name the README table gives as a plain identifier is exported', () => {
  const exported = new Set(Object.keys(rxtls));
  const typeOnly = new Set(['DefaultVerifyPaths']);
  let checked = 0;
  for (const [python, ours] of rows) {
    const identifier = /^`([A-Za-z_0-9]+)`/.exec(ours)?.[1];
    if (!identifier || typeOnly.has(identifier)) continue;
    assert.ok(exported.has(identifier), `${python} -> ${identifier} is not exported from rxtls`);
    checked += 1;
  }
  assert.ok(checked > 90, `only ${checked} rows checked`);
});

test.run();
