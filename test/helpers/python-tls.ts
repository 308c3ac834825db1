/**
 * Python's verdict on a handshake: a Python client and server over MemoryBIOs in one process,
 * with the given certificate files. The oracle for verification codes and messages.
 */
import { python } from './python.js';

export interface PythonHandshakeCase {
  /** Server certificate and key files. */
  cert: string;
  key: string;
  /** CA file the client trusts. */
  cafile: string;
  /** Name the client asks for and checks (null: checkHostname off). */
  hostname: string | null;
}

export interface PythonVerdict {
  ok: boolean;
  error: string | null;
  verifyCode: number | null;
  verifyMessage: string | null;
}

/** Runs every case in one python3 process and returns its verdicts in order. */
export function pythonHandshakes(cases: PythonHandshakeCase[]): PythonVerdict[] {
  return python<PythonVerdict[]>(
    `
import json, ssl, sys
out = []
for case in json.load(sys.stdin):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(case['cert'], case['key'])
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(case['cafile'])
    if case['hostname'] is None:
        client.check_hostname = False
    bios = [ssl.MemoryBIO() for _ in range(4)]
    c = client.wrap_bio(bios[0], bios[1], server_hostname=case['hostname'])
    s = server.wrap_bio(bios[2], bios[3], server_side=True)
    verdict = {'ok': False, 'error': None, 'verifyCode': None, 'verifyMessage': None}
    try:
        for _ in range(20):
            done = 0
            for obj in (c, s):
                try:
                    obj.do_handshake(); done += 1
                except ssl.SSLWantReadError:
                    pass
            bios[2].write(bios[1].read()); bios[0].write(bios[3].read())
            if done == 2:
                verdict['ok'] = True
                break
    except ssl.SSLCertVerificationError as e:
        verdict.update(error=type(e).__name__, verifyCode=e.verify_code, verifyMessage=e.verify_message)
    except ssl.SSLError as e:
        verdict.update(error=type(e).__name__)
    out.append(verdict)
print(json.dumps(out))`,
    cases,
  );
}
