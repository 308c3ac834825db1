/**
 * Python's verdict on bad ciphertext: the same bytes fed to a Python server SSLObject, before the
 * handshake (in place of a ClientHello) or after one (in place of the client's records). The
 * oracle for the error class and OpenSSL reason rxtls must report.
 */
import { python } from './python.js';

/** Bytes fed to a fresh server, then (if `eof`) the end of the stream. */
export interface RawInputCase {
  hex: string;
  eof: boolean;
}

/** What goes into an established server's incoming BIO. */
export type AfterHandshakeCase =
  | 'truncated-record-then-eof' // the first half of a real application-data record, then EOF
  | 'oversized-record' // a header announcing 2^14 + 2048 + 1 bytes
  | 'forged-record' // a well-formed header over bytes no key produced
  | 'bare-eof'; // the end of the stream without close_notify

/** Python's outcome: the exception class (null: no error) and OpenSSL's reason. */
export interface PythonBadInputVerdict {
  error: string | null;
  reason: string | null;
  /** What the server wrote in answer (its alert, before the handshake), hex. */
  alert: string;
}

const PROGRAM = `
import json, ssl, sys
cfg = json.load(sys.stdin)
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server.load_cert_chain(cfg['cert'], cfg['key'])
if cfg.get('maxVersion'):
    server.maximum_version = getattr(ssl.TLSVersion, cfg['maxVersion'])
client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
client.load_verify_locations(cfg['ca'])
def verdict(call, outgoing):
    try:
        call()
        out = {'error': None, 'reason': None}
    except ssl.SSLError as e:
        out = {'error': type(e).__name__, 'reason': e.reason}
    out['alert'] = outgoing.read().hex()
    return out
def before(case):
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = server.wrap_bio(i, o, server_side=True)
    i.write(bytes.fromhex(case['hex']))
    if case['eof']:
        i.write_eof()
    return verdict(s.do_handshake, o)
def after(kind):
    bios = [ssl.MemoryBIO() for _ in range(4)]
    c = client.wrap_bio(bios[0], bios[1], server_hostname='localhost')
    s = server.wrap_bio(bios[2], bios[3], server_side=True)
    for _ in range(10):
        for obj in (c, s):
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
        bios[2].write(bios[1].read()); bios[0].write(bios[3].read())
    if kind == 'truncated-record-then-eof':
        c.write(b'x' * 100)
        record = bios[1].read()
        bios[2].write(record[:len(record) // 2])
        bios[2].write_eof()
    elif kind == 'oversized-record':
        bios[2].write(bytes.fromhex('1703034801') + b'\\x01' * 100)
    elif kind == 'forged-record':
        bios[2].write(bytes.fromhex('1703030020') + b'\\x00' * 32)
    else:
        bios[2].write_eof()
    return verdict(lambda: s.read(1024), bios[3])
print(json.dumps({'before': [before(c) for c in cfg['before']],
                  'after': [after(k) for k in cfg['after']]}))
`;

/** Runs every case in one python3 process. */
export function pythonBadInput(input: {
  cert: string;
  key: string;
  ca: string;
  maxVersion?: 'TLSv1_2' | 'TLSv1_3';
  before: RawInputCase[];
  after: AfterHandshakeCase[];
}): { before: PythonBadInputVerdict[]; after: PythonBadInputVerdict[] } {
  return python(PROGRAM, input);
}
