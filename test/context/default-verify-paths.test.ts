import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getDefaultVerifyPaths } from '../../src/context/default-verify-paths.js';
import { python } from '../helpers/python.js';

type PyPaths = [string | null, string | null, string, string, string, string];

function pythonPaths(env: Record<string, string | undefined>): PyPaths {
  return python<PyPaths>(
    `
import json, os, sys
env = json.load(sys.stdin)
for k in ('SSL_CERT_FILE', 'SSL_CERT_DIR'):
    os.environ.pop(k, None)
    if env.get(k) is not None: os.environ[k] = env[k]
import ssl
print(json.dumps(list(ssl.get_default_verify_paths())))`,
    env,
  );
}

function asTuple(env: NodeJS.ProcessEnv): PyPaths {
  const p = getDefaultVerifyPaths(env);
  return [
    p.cafile,
    p.capath,
    p.opensslCafileEnv,
    p.opensslCafile,
    p.opensslCapathEnv,
    p.opensslCapath,
  ];
}

test('getDefaultVerifyPaths equals Python with the environment of this process', () => {
  const env = {
    SSL_CERT_FILE: process.env['SSL_CERT_FILE'],
    SSL_CERT_DIR: process.env['SSL_CERT_DIR'],
  };
  assert.equal(asTuple(process.env), pythonPaths(env));
});

test('getDefaultVerifyPaths equals Python without SSL_CERT_FILE and SSL_CERT_DIR', () => {
  assert.equal(asTuple({}), pythonPaths({}));
});

test('paths that do not exist are reported as null, as Python does', () => {
  const env = { SSL_CERT_FILE: '/nonexistent/ca.pem', SSL_CERT_DIR: '/nonexistent/dir' };
  const ours = getDefaultVerifyPaths(env);
  assert.is(ours.cafile, null);
  assert.is(ours.capath, null);
  assert.equal(asTuple(env), pythonPaths(env));
});

test.run();
