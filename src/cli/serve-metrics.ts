/**
 * `rxtls serve --metrics HOST:PORT`: Prometheus metrics at http://HOST:PORT/metrics, kept in this
 * process (ServerMetrics) or, with `--workers`, in every worker and added up by the primary
 * (docs/architecture.md, "Diagnostics and metrics").
 */
import type { ServerCluster } from '../endpoints/cluster/server-cluster.js';
import { METRICS_PATH, MetricsEndpoint } from '../endpoints/metrics/metrics-http.js';
import { ServerMetrics } from '../endpoints/metrics/server-metrics.js';
import type { OptionValues } from './command.js';
import { formatHostPort, type HostPort, parseHostPort } from './host-port.js';
import { COMMAND, option } from './serve-setup.js';

/** `--metrics HOST:PORT` (port 0: any free one), or undefined without it. */
export function metricsAddress(values: OptionValues): HostPort | undefined {
  const value = option(values, 'metrics');
  return value === undefined ? undefined : parseHostPort(COMMAND, value, 0);
}

/** The metrics of a single-process server: made before it accepts its first connection. */
export function processMetrics(address: HostPort | undefined): ServerMetrics | undefined {
  return address ? new ServerMetrics() : undefined;
}

/** The listening endpoint and what stops it. */
export interface ServedMetrics {
  /** The start line that says where the metrics are. */
  readonly line: string;
  close(): Promise<void>;
}

/** Serves this process's `metrics`, or else the cluster's, at `address`. */
export async function serveMetrics(
  address: HostPort,
  metrics: ServerMetrics | undefined,
  cluster: ServerCluster | undefined,
): Promise<ServedMetrics> {
  const source = metrics ?? (cluster as ServerCluster);
  const endpoint = await MetricsEndpoint.listen(source, address.port, address.host);
  const at = endpoint.address();
  const scope = cluster ? ' (every worker, added up)' : '';
  return {
    line: `metrics: http://${formatHostPort(at.address, at.port)}${METRICS_PATH}${scope}`,
    close: async () => {
      await endpoint.close();
      metrics?.close();
    },
  };
}
