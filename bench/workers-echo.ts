/**
 * The worker module of bench/workers.ts: a TLS echo on the certificate files handed over.
 */
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { SSLContext } from '../src/context/ssl-context.js';
import type { WorkerInfo, WorkerSetup } from '../src/endpoints/cluster/worker-setup.js';

export default function setup({ data }: WorkerInfo): WorkerSetup {
  const { cert, key } = data as { cert: string; key: string };
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(cert, key);
  return { context, protocol: (input$) => input$ };
}
