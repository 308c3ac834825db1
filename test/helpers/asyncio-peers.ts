/**
 * Python asyncio TLS peers (the event-loop flavour of Python's ssl, with its own SSL protocol
 * state machine, shutdown and flow control): an echo server from `asyncio.start_server(ssl=ctx)`
 * and a client from `asyncio.open_connection(ssl=ctx)` that sends random bytes while reading the
 * echo back. Both print one JSON result line; readiness is read from their output.
 */
import { type PeerProcess, type Peers, pythonResult } from './peers.js';

const ASYNCIO_SERVER = `
import asyncio, hashlib, json, ssl, sys
cfg = json.loads(sys.argv[1])
result = {'ok': True, 'received': 0, 'connections': 0}
async def handle(reader, writer):
    h = hashlib.sha256()
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            h.update(data)
            result['received'] += len(data)
            writer.write(data)
            await writer.drain()
        result['version'] = writer.get_extra_info('ssl_object').version()
        writer.close()
        await writer.wait_closed()
    except Exception as e:
        result.update(ok=False, error=type(e).__name__, message=str(e))
    result['sha256'] = h.hexdigest()
    result['connections'] += 1
    if result['connections'] >= cfg.get('connections', 1):
        done.set()
async def main():
    global done
    done = asyncio.Event()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cfg['cert'], cfg['key'])
    if cfg.get('maxVersion'):
        ctx.maximum_version = getattr(ssl.TLSVersion, cfg['maxVersion'])
    srv = await asyncio.start_server(handle, '127.0.0.1', 0, ssl=ctx)
    print(json.dumps({'port': srv.sockets[0].getsockname()[1]}), flush=True)
    await done.wait()
    srv.close()
    await srv.wait_closed()
    print(json.dumps(result), flush=True)
asyncio.run(main())
`;

const ASYNCIO_CLIENT = `
import asyncio, hashlib, json, os, ssl, sys
cfg = json.loads(sys.argv[1])
async def main():
    ctx = ssl.create_default_context(cafile=cfg['cafile'])
    if cfg.get('maxVersion'):
        ctx.maximum_version = getattr(ssl.TLSVersion, cfg['maxVersion'])
    reader, writer = await asyncio.open_connection(
        '127.0.0.1', cfg['port'], ssl=ctx, server_hostname='localhost')
    payload = os.urandom(cfg['size'])
    async def send():
        for i in range(0, len(payload), 50000):
            writer.write(payload[i:i + 50000])
            await writer.drain()
    _, back = await asyncio.gather(send(), reader.readexactly(len(payload)))
    version = writer.get_extra_info('ssl_object').version()
    writer.close()
    await writer.wait_closed()
    return {'ok': True, 'version': version, 'sent': hashlib.sha256(payload).hexdigest(),
            'received': hashlib.sha256(back).hexdigest()}
try:
    result = asyncio.run(main())
except Exception as e:
    result = {'ok': False, 'error': type(e).__name__, 'message': str(e)}
print(json.dumps(result), flush=True)
`;

/** What the asyncio peers print. */
export interface AsyncioResult {
  ok: boolean;
  error?: string;
  message?: string;
  version?: string;
  /** Server: bytes echoed and their sha256. Client: sha256 of what it sent and received. */
  received?: number | string;
  sha256?: string;
  sent?: string;
  connections?: number;
}

/** Options of {@link startAsyncioServer}. */
export interface AsyncioServerOptions {
  cert: string;
  key: string;
  maxVersion?: 'TLSv1_2' | 'TLSv1_3';
  /** Exit after this many connections (default 1). */
  connections?: number;
}

/** An asyncio echo server; it echoes until EOF, closes with close_notify, then prints its result. */
export async function startAsyncioServer(
  peers: Peers,
  options: AsyncioServerOptions,
): Promise<PeerProcess> {
  const peer = peers.spawnPython('python asyncio server', ASYNCIO_SERVER, options);
  await peer.announcedPort();
  return peer;
}

/** Options of {@link startAsyncioClient}. */
export interface AsyncioClientOptions {
  cafile: string;
  /** Random bytes to send (and expect back). */
  size: number;
  maxVersion?: 'TLSv1_2' | 'TLSv1_3';
}

/** An asyncio client that sends `size` random bytes, reads them back, closes, and reports. */
export function startAsyncioClient(
  peers: Peers,
  port: number,
  options: AsyncioClientOptions,
): PeerProcess {
  return peers.spawnPython('python asyncio client', ASYNCIO_CLIENT, { ...options, port });
}

/** The JSON result line an asyncio peer printed, once it has exited. */
export async function asyncioResult(peer: PeerProcess): Promise<AsyncioResult> {
  return (await pythonResult(peer)) as unknown as AsyncioResult;
}
