#!/usr/bin/env node
// Dependencies point one way (DESIGN.md): src/transport imports neither src/protocol nor
// src/context, and tsyringe stays out of src/transport and src/protocol.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const rules = [
  { dir: 'src/transport', forbidden: /^(\.\.\/(protocol|context)(\/|$)|tsyringe$)/ },
  { dir: 'src/protocol', forbidden: /^tsyringe$/ },
];
const specifier = /(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g;

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const violations = [];
for (const { dir, forbidden } of rules) {
  for (const file of walk(dir)) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(specifier)) {
      if (spec && forbidden.test(spec)) violations.push(`${file}: imports '${spec}'`);
    }
  }
}
if (violations.length > 0) {
  console.error(`layer check failed:\n${violations.join('\n')}`);
  process.exit(1);
}
