/**
 * The package as it ships: `npm pack` (prepack builds this platform's prebuilt addon, postpack
 * removes it from the checkout), installed into a temporary project with install scripts disabled
 * and without the network (the dependencies come from npm's cache, where `npm ci` put them), still
 * runs the native engine by default and completes a real handshake over TCP.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeEngineAvailable } from '../../src/transport/engines/native/native-engine.js';
import { makePki } from '../helpers/pki.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PREBUILT_DIR = `prebuilds/${platform()}-${arch()}`;
/** Per npm step: packing compiles the addon and the TypeScript on a loaded machine. */
const STEP_TIMEOUT_MS = 180_000;

interface LockEntry {
  version: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  [key: string]: unknown;
}

/** Runs npm in `cwd`; fails the test with npm's output when it does not exit 0. */
function npm(cwd: string, args: readonly string[]): string {
  const run = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_audit: 'false' },
  });
  assert.is(run.status, 0, `npm ${args.join(' ')}: ${run.error ?? ''}\n${run.stderr}`);
  return run.stdout;
}

/**
 * The consumer's lockfile: the tarball, and rxtls's runtime dependencies exactly as this
 * repository's lockfile pins them, each with its registry address, so that `--offline` finds
 * every tarball in npm's cache by integrity without asking the registry for metadata.
 */
function consumerLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { rxtls: `file:${tarball}` } },
    'node_modules/rxtls': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      hasInstallScript: true,
      dependencies: manifest.dependencies,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const file = `${name.split('/').pop()}-${entry.version}.tgz`;
    packages[path] = { ...entry, resolved: `https://registry.npmjs.org/${name}/-/${file}` };
  }
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** Runs in the consumer project: the default engine, and one echo over a verified handshake. */
const CHECK = `
import { connect, createDefaultContext, createServer, PROTOCOL_TLS_SERVER, Purpose, SSLContext } from 'rxtls';
const [cert, key, ca] = process.argv.slice(2);
const serverContext = new SSLContext(PROTOCOL_TLS_SERVER);
serverContext.loadCertChain(cert, key);
const server = createServer({ context: serverContext, protocol: (input$) => input$ });
const { port } = await server.listen(0, '127.0.0.1');
const clientContext = createDefaultContext(Purpose.SERVER_AUTH, { cafile: ca });
const tls = await connect({ host: '127.0.0.1', port, serverHostname: 'localhost', context: clientContext });
tls.write('ping');
const echoed = (await tls.read()).toString();
const result = { serverEngine: serverContext.engine, clientEngine: clientContext.engine, version: tls.version(), echoed };
await tls.close();
await server.close();
console.log(JSON.stringify(result));
`;

// The packed package must carry the binary this checkout builds; without a compiler here there
// is none to pack, and the native engine is not what this machine can test.
if (nativeEngineAvailable() && process.env['RXTLS_ENGINE'] !== 'node') {
  test('the packed package, installed with --ignore-scripts and offline, runs the native engine', async () => {
    const work = mkdtempSync(join(tmpdir(), 'rxtls-packed-'));
    const pki = await makePki();
    try {
      const hadPrebuilt = existsSync(join(ROOT, PREBUILT_DIR));
      // Not `--json`: the lifecycle scripts (the addon's and TypeScript's builds) print there too.
      npm(ROOT, ['pack', '--pack-destination', work]);
      const filename = readdirSync(work).find((name) => name.endsWith('.tgz'));
      assert.ok(filename, 'npm pack wrote a tarball');
      const tarball = join(work, filename);
      const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
      assert.is(listing.status, 0, listing.stderr);
      const shipped = listing.stdout.split('\n').map((path) => path.replace(/^package\//, ''));
      assert.ok(
        shipped.some((path) => path.startsWith(`${PREBUILT_DIR}/`) && path.endsWith('.node')),
        `the tarball holds ${PREBUILT_DIR}/*.node`,
      );
      assert.not.ok(
        shipped.some((path) => path.startsWith('build/')),
        'no build/ directory ships',
      );
      if (!hadPrebuilt) {
        assert.not.ok(existsSync(join(ROOT, PREBUILT_DIR)), 'postpack leaves no binary behind');
      }

      const project = join(work, 'consumer');
      mkdirSync(project);
      const manifest = { name: 'consumer', version: '1.0.0', private: true, type: 'module' };
      writeFileSync(join(project, 'package.json'), JSON.stringify(manifest));
      writeFileSync(join(project, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
      writeFileSync(join(project, 'check.mjs'), CHECK);
      npm(project, ['install', tarball, '--ignore-scripts', '--offline', '--no-fund']);

      const installed = join(project, 'node_modules/rxtls');
      assert.not.ok(existsSync(join(installed, 'build')), 'nothing was compiled at install');
      const env = { ...process.env };
      delete env['RXTLS_ENGINE'];
      const args = [pki.path('server'), pki.path('server-key'), pki.path('ca')];
      const check = () => {
        const run = spawnSync(process.execPath, ['check.mjs', ...args], {
          cwd: project,
          encoding: 'utf8',
          timeout: STEP_TIMEOUT_MS,
          env,
        });
        assert.is(run.status, 0, run.stderr);
        return JSON.parse(run.stdout) as Record<string, string>;
      };
      assert.equal(check(), {
        serverEngine: 'native',
        clientEngine: 'native',
        version: 'TLSv1.3',
        echoed: 'ping',
      });

      // Where no binary matches (another platform, nothing compiled), the node engine serves.
      rmSync(join(installed, 'prebuilds'), { recursive: true, force: true });
      assert.equal(check(), {
        serverEngine: 'node',
        clientEngine: 'node',
        version: 'TLSv1.3',
        echoed: 'ping',
      });
    } finally {
      pki.remove();
      rmSync(work, { recursive: true, force: true });
    }
  });
}

test.run();
