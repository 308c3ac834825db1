/**
 * A server with an RSA and an ECDSA certificate gives each client the one it can verify, as
 * OpenSSL (and so Python) picks among a context's chains by the client's signature algorithms or
 * TLS 1.2 cipher suite. The same clients (openssl s_client, a Python client) meet an rxtls server
 * and a Python server loaded with the same two chains: each must be shown the same certificate.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { createServer } from '../../src/endpoints/server.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { Peers } from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';
import { echo } from '../helpers/streams.js';

const peers = new Peers();
test.after(() => peers.stopAll());
const pki = usePki(test);

/** Serves until killed: the two chains, RSA first, as `rxtls serve --cert rsa --cert ec`. */
const PYTHON_SERVER = `
import json, socket, ssl, sys, threading
cfg = json.loads(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
for cert, key in cfg['pairs']: ctx.load_cert_chain(cert, key)
listener = socket.create_server(('127.0.0.1', 0))
print(json.dumps({'port': listener.getsockname()[1]}), flush=True)
def serve(conn):
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls: tls.recv(1)
    except Exception: pass
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`;

/** Connects with Python's client limited to TLS 1.2 and `cipher`; prints the leaf's PEM. */
const PYTHON_CLIENT = `
import json, socket, ssl, sys
cfg = json.loads(sys.argv[1])
ctx = ssl.create_default_context(cafile=cfg['ca'])
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_ciphers(cfg['cipher'])
with socket.create_connection(('127.0.0.1', cfg['port'])) as raw:
    with ctx.wrap_socket(raw, server_hostname='localhost') as tls:
        print(ssl.DER_cert_to_PEM_cert(tls.getpeercert(True)), flush=True)
`;

interface Client {
  name: string;
  run(port: number): Promise<string>;
}

/** The PEM of the leaf a client printed on stdout. */
function leafOf(stdout: string): string {
  const match = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(stdout);
  assert.ok(match, `no certificate in: ${stdout.slice(0, 300)}`);
  return new X509Certificate(match[0]).fingerprint256;
}

function opensslClient(name: string, flags: string[]): Client {
  return {
    name,
    async run(port) {
      const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'];
      args.push('-CAfile', pki.path('ca'), '-verify_return_error', ...flags);
      const client = peers.spawn(`openssl ${name}`, 'openssl', args);
      client.endInput();
      const exit = await client.finished();
      assert.is(exit.code, 0, client.output);
      return leafOf(client.stdout);
    },
  };
}

function pythonClient(cipher: string): Client {
  return {
    name: `python ${cipher}`,
    async run(port) {
      const client = peers.spawnPython(`python ${cipher}`, PYTHON_CLIENT, {
        port,
        cipher,
        ca: pki.path('ca'),
      });
      const exit = await client.finished();
      assert.is(exit.code, 0, client.output);
      return leafOf(client.stdout);
    },
  };
}

const CLIENTS = (): Client[] => [
  opensslClient('TLS 1.3 ECDSA sigalgs', ['-sigalgs', 'ecdsa_secp256r1_sha256']),
  opensslClient('TLS 1.3 RSA-PSS sigalgs', ['-sigalgs', 'rsa_pss_rsae_sha256']),
  opensslClient('TLS 1.3 any', []),
  opensslClient('TLS 1.2 ECDHE-ECDSA', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']),
  opensslClient('TLS 1.2 ECDHE-RSA', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']),
  pythonClient('ECDHE-ECDSA-AES256-GCM-SHA384'),
  pythonClient('ECDHE-RSA-AES256-GCM-SHA384'),
];

test('an RSA and an ECDSA certificate: each client gets the one it can verify, as from Python', async () => {
  const pairs = [
    [pki.path('serverRsa'), pki.path('serverRsa-key')],
    [pki.path('server'), pki.path('server-key')],
  ];
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  for (const [cert, key] of pairs) context.loadCertChain(cert as string, key);
  const reactor = new Reactor();
  const server = createServer({ context, reactor }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  const python = peers.spawnPython('python server', PYTHON_SERVER, { pairs });
  const pythonPort = await python.announcedPort();
  const rsa = new X509Certificate(pki.serverRsa.cert).fingerprint256;
  const ec = new X509Certificate(pki.server.cert).fingerprint256;
  const expected = [ec, rsa, ec, ec, rsa, ec, rsa];
  try {
    const fromRxtls: string[] = [];
    const fromPython: string[] = [];
    for (const client of CLIENTS()) {
      fromRxtls.push(await client.run(port));
      fromPython.push(await client.run(pythonPort));
    }
    const names = (list: string[]) => list.map((f) => (f === rsa ? 'rsa' : f === ec ? 'ec' : f));
    assert.equal(names(fromPython), names(expected));
    assert.equal(names(fromRxtls), names(fromPython));
  } finally {
    await python.stop();
    await server.close({ timeoutMs: 5_000 });
  }
});

test.run();
