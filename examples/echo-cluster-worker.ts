/**
 * What each worker of examples/echo-cluster.ts runs: its default export is called once per worker
 * process and answers the server's options. Everything a connection needs is made here, in the
 * worker: a context cannot cross from the primary.
 */
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { SSLContext } from '../src/context/ssl-context.js';
import type { WorkerInfo, WorkerSetup } from '../src/endpoints/cluster/worker-setup.js';
import { EchoProtocol } from '../src/protocol/echo-protocol.js';

/** What the primary hands every worker. */
export interface EchoWorkerData {
  certfile: string;
  keyfile: string;
}

export default function setup({ data }: WorkerInfo): WorkerSetup {
  const { certfile, keyfile } = data as EchoWorkerData;
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certfile, keyfile);
  return { context, protocol: EchoProtocol };
}
