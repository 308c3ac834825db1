#!/usr/bin/env node
// The layer check (docs/architecture.md, "Folders and their imports"): every folder of src/ is a
// layer, and a file may import only from its own layer and the layers listed for it below.
// tsyringe is imported in src/di alone. A folder that is not in the table is an error too, so a
// new folder must say where it stands. Usage: node scripts/check-layers.js [root] (default: .).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';

/** Each layer (a folder under src/, its files and the folders not listed themselves) and what it may import. */
export const LAYERS = {
  'src/errors': [],
  'src/constants': [],
  'src/x509': ['src/errors'],
  'src/transport': ['src/errors'],
  'src/transport/sansio': ['src/errors', 'src/constants', 'src/transport'],
  'src/transport/stream': ['src/errors', 'src/transport', 'src/transport/sansio'],
  'src/transport/engines/node': [
    'src/errors',
    'src/constants',
    'src/transport',
    'src/transport/sansio',
  ],
  // The fused path: a native socket carries a native engine's ciphertext, and implements the
  // stream's ciphertext-path seam for it.
  'src/transport/engines/native': [
    'src/errors',
    'src/constants',
    'src/transport',
    'src/transport/sansio',
    'src/transport/stream',
  ],
  'src/transport/engines': [
    'src/errors',
    'src/transport/sansio',
    'src/transport/engines/node',
    'src/transport/engines/native',
  ],
  'src/context': [
    'src/errors',
    'src/constants',
    'src/x509',
    'src/transport',
    'src/transport/sansio',
    'src/transport/stream',
    'src/transport/engines',
  ],
  'src/protocol': [
    'src/errors',
    'src/transport',
    'src/transport/sansio',
    'src/transport/stream',
    'src/context',
  ],
  'src/di': ['src/errors', 'src/constants', 'src/context', 'src/transport/stream'],
  'src/endpoints': [
    'src/errors',
    'src/constants',
    'src/x509',
    'src/transport',
    'src/transport/sansio',
    'src/transport/stream',
    'src/transport/engines',
    'src/transport/engines/native',
    'src/context',
    'src/protocol',
    'src/di',
  ],
  'src/testing': ['src/errors', 'src/transport', 'src/transport/sansio'],
  'src/cli': [
    'src/errors',
    'src/constants',
    'src/x509',
    'src/transport',
    'src/transport/sansio',
    'src/transport/stream',
    'src/context',
    'src/protocol',
    'src/endpoints',
  ],
  // src/index.ts: the public entry names everything.
  src: ['*'],
};

/**
 * Packages only some layers may import. prom-client: metrics are the servers' concern
 * (src/endpoints/metrics); the streams publish on diagnostics_channel and know nothing of it.
 * redis: the ticket key store (src/context/session-tickets) alone talks to Redis.
 */
export const PACKAGES = {
  tsyringe: ['src/di'],
  'prom-client': ['src/endpoints'],
  redis: ['src/context'],
};

const specifier = /(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g;

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The layer a file or folder (repository-relative, posix) belongs to: its longest listed prefix. */
function layerOf(path) {
  let best;
  for (const layer of Object.keys(LAYERS)) {
    if ((path === layer || path.startsWith(`${layer}/`)) && (!best || layer.length > best.length))
      best = layer;
  }
  return best;
}

/** Every violation in the tree at `root`, as lines of text. */
export function checkLayers(root) {
  const violations = [];
  for (const file of walk(join(root, 'src'))) {
    const path = relative(root, file).split('\\').join('/');
    const layer = layerOf(dirname(path)) ?? layerOf(path);
    const folder = posix.dirname(path);
    if (layer === 'src' && folder !== 'src') {
      violations.push(
        `${path}: folder ${folder} is not in the layer table (scripts/check-layers.js)`,
      );
      continue;
    }
    const allowed = LAYERS[layer];
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(specifier)) {
      if (!spec) continue;
      if (!spec.startsWith('.')) {
        const owners = PACKAGES[spec];
        if (owners && !owners.includes(layer)) {
          violations.push(`${path}: imports '${spec}' (only ${owners.join(', ')} may)`);
        }
        continue;
      }
      const target = posix.normalize(posix.join(folder, spec));
      const targetLayer = layerOf(posix.dirname(target)) ?? layerOf(target);
      if (targetLayer === layer || allowed.includes('*') || allowed.includes(targetLayer)) continue;
      violations.push(`${path}: imports '${spec}' (${layer} may not import ${targetLayer})`);
    }
  }
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? '.');
  const violations = checkLayers(root);
  if (violations.length > 0) {
    console.error(`layer check failed:\n${violations.join('\n')}`);
    process.exit(1);
  }
}
