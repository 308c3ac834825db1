/**
 * The x509-limbo corpus (test/data/x509-limbo.json, or RXTLS_LIMBO) run as TLS: each
 * SERVER case's peer certificate, intermediates and key on a server context; its trusted
 * certificates, CRLs (with VERIFY_CRL_CHECK_LEAF) and expected peer name on a client context; one
 * in-memory handshake. The same is done by one python3 process for all cases, so what OpenSSL
 * (through Python) and rxtls conclude can be compared case by case.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { SSLContext } from '../../src/context/ssl-context.js';
import {
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  VERIFY_CRL_CHECK_LEAF,
} from '../../src/constants/ssl-constants.js';
import { isWouldBlock, SSLCertVerificationError, SSLError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../../src/transport/sansio/ssl-object.js';
import { MAX_PUMP_ROUNDS, nextEvent, transfer } from '../../src/testing/pump.js';
import { python } from './python.js';

/** The corpus (C2SP/x509-limbo, Apache-2.0: test/data/README.md), kept in the repository. */
export const LIMBO_PATH =
  process.env.RXTLS_LIMBO ??
  fileURLToPath(new URL('../../../test/data/x509-limbo.json', import.meta.url));

export interface LimboCase {
  id: string;
  validation_kind: 'SERVER' | 'CLIENT';
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  peer_certificate_key: string | null;
  expected_peer_name: { kind: 'DNS' | 'IP' | 'RFC822'; value: string } | null;
  crls: string[];
  expected_result: 'SUCCESS' | 'FAILURE';
}

/**
 * What one side concluded: where it stopped (a context refusing its material at load time, or
 * the client's handshake), and how: `ok`, a verification failure with its code, or another
 * SSLError with its reason.
 */
export interface LimboOutcome {
  stage: 'server-load' | 'client-load' | 'handshake';
  result: 'ok' | 'verify' | 'error';
  code?: number;
  reason?: string | null;
}

/** The corpus's SERVER cases that carry the peer's key (the others cannot be served). */
export function limboServerCases(): { runnable: LimboCase[]; keyless: string[] } {
  const all = (JSON.parse(readFileSync(LIMBO_PATH, 'utf8')) as { testcases: LimboCase[] })
    .testcases;
  const servers = all.filter((c) => c.validation_kind === 'SERVER');
  return {
    runnable: servers.filter((c) => c.peer_certificate_key !== null),
    keyless: servers.filter((c) => c.peer_certificate_key === null).map((c) => c.id),
  };
}

/** Files a case's contexts load: chain (leaf first), key, and trust (certificates, then CRLs). */
function writeCase(dir: string, c: LimboCase): { chain: string; key: string; trust: string } {
  const files = {
    chain: join(dir, 'chain.pem'),
    key: join(dir, 'key.pem'),
    trust: join(dir, 'trust.pem'),
  };
  writeFileSync(files.chain, [c.peer_certificate, ...c.untrusted_intermediates].join('\n'));
  writeFileSync(files.key, c.peer_certificate_key ?? '');
  writeFileSync(files.trust, [...c.trusted_certs, ...c.crls].join('\n'));
  return files;
}

/** What an error says as a {@link LimboOutcome}. */
function outcomeOf(stage: LimboOutcome['stage'], error: unknown): LimboOutcome {
  if (error instanceof SSLCertVerificationError) {
    return { stage, result: 'verify', code: error.verifyCode };
  }
  if (error instanceof SSLError) return { stage, result: 'error', reason: error.reason ?? null };
  const name = error instanceof Error ? error.name : typeof error;
  return { stage, result: 'error', reason: `not an SSLError: ${name}` };
}

/** Runs one case through rxtls on the engine RXTLS_ENGINE selects. */
export async function rxtlsOutcome(c: LimboCase): Promise<LimboOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-limbo-'));
  try {
    const files = writeCase(dir, c);
    const serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
    try {
      serverCtx.loadCertChain(files.chain, files.key);
    } catch (error) {
      return outcomeOf('server-load', error);
    }
    const clientCtx = new SSLContext(PROTOCOL_TLS_CLIENT);
    try {
      clientCtx.loadVerifyLocations({ cafile: files.trust });
    } catch (error) {
      return outcomeOf('client-load', error);
    }
    if (c.crls.length > 0) clientCtx.verifyFlags |= VERIFY_CRL_CHECK_LEAF;
    const name = c.expected_peer_name?.value ?? null;
    if (name === null) clientCtx.checkHostname = false;
    let client: SSLObject<SSLContext>;
    let server: SSLObject<SSLContext>;
    try {
      client = clientCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: name });
      server = serverCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
    } catch (error) {
      return outcomeOf('handshake', error);
    }
    let clientError: unknown;
    let clientSettled = false;
    let serverFailed = false;
    // The client's verdict is the case's outcome: the server is driven only until it has one (a
    // client that rejects the chain may end without an alert the server would hear).
    for (let round = 0; round < MAX_PUMP_ROUNDS && !clientSettled; round++) {
      try {
        client.doHandshake();
        clientSettled = true;
      } catch (error) {
        if (!isWouldBlock(error)) {
          clientError = error;
          clientSettled = true;
        }
      }
      if (clientSettled) break;
      if (!serverFailed) {
        try {
          server.doHandshake();
        } catch (error) {
          serverFailed = !isWouldBlock(error);
        }
      }
      const moved = transfer(client, server);
      // A failed server's transport would close once its alert is out: the client hears the end.
      if (!moved && serverFailed && !client.incoming.eofWritten) client.incoming.writeEof();
      else if (!moved) await nextEvent(client, server);
    }
    client.destroy();
    server.destroy();
    return clientError === undefined
      ? { stage: 'handshake', result: 'ok' }
      : outcomeOf('handshake', clientError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same for every case, by one python3 process: outcomes by case id. */
export function pythonOutcomes(cases: LimboCase[]): Record<string, LimboOutcome> {
  return python<Record<string, LimboOutcome>>(PYTHON_LIMBO, cases);
}

const PYTHON_LIMBO = `
import json, os, shutil, ssl, sys, tempfile

def outcome(stage, e):
    if isinstance(e, ssl.SSLCertVerificationError):
        return {'stage': stage, 'result': 'verify', 'code': e.verify_code}
    if isinstance(e, ssl.SSLError):
        return {'stage': stage, 'result': 'error', 'reason': e.reason}
    return {'stage': stage, 'result': 'error', 'reason': 'not an SSLError: ' + type(e).__name__}

def run(c, d):
    chain, key, trust = (os.path.join(d, n) for n in ('chain.pem', 'key.pem', 'trust.pem'))
    with open(chain, 'w') as f: f.write('\\n'.join([c['peer_certificate']] + c['untrusted_intermediates']))
    with open(key, 'w') as f: f.write(c['peer_certificate_key'] or '')
    with open(trust, 'w') as f: f.write('\\n'.join(c['trusted_certs'] + c['crls']))
    s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        s.load_cert_chain(chain, key)
    except Exception as e:
        return outcome('server-load', e)
    cl = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        cl.load_verify_locations(cafile=trust)
    except Exception as e:
        return outcome('client-load', e)
    if c['crls']:
        cl.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    name = c['expected_peer_name']['value'] if c['expected_peer_name'] else None
    if name is None:
        cl.check_hostname = False
    ci, co, si, so = (ssl.MemoryBIO() for _ in range(4))
    try:
        client = cl.wrap_bio(ci, co, server_hostname=name)
        server = s.wrap_bio(si, so, server_side=True)
    except Exception as e:
        return outcome('handshake', e)
    cerr = serr = None
    cdone = sdone = False
    for _ in range(100):
        if not cdone and cerr is None:
            try:
                client.do_handshake(); cdone = True
            except ssl.SSLWantReadError:
                pass
            except Exception as e:
                cerr = e
        if co.pending: si.write(co.read())
        if not sdone and serr is None:
            try:
                server.do_handshake(); sdone = True
            except ssl.SSLWantReadError:
                pass
            except Exception as e:
                serr = e
        if so.pending: ci.write(so.read())
        if (cdone or cerr) and (sdone or serr) and not co.pending and not so.pending:
            break
    if cerr is not None:
        return outcome('handshake', cerr)
    return {'stage': 'handshake', 'result': 'ok'}

out = {}
for c in json.load(sys.stdin):
    d = tempfile.mkdtemp()
    try:
        out[c['id']] = run(c, d)
    finally:
        shutil.rmtree(d)
print(json.dumps(out))
`;
