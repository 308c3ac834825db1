/**
 * The `HOST:PORT` argument of `rxtls connect` and `rxtls cert fetch`, with IPv6 addresses in
 * brackets (`[::1]:8444`) as in URLs and `openssl s_client -connect`.
 */
import { UsageError } from './command.js';

const MAX_PORT = 65_535;

/** A parsed `HOST:PORT`: the host without brackets, the port as a number. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT` or `[IPV6]:PORT`; UsageError (exit 2) when it is neither. `minPort` 0 lets
 * a listening address ask for any free port.
 */
export function parseHostPort(command: string, text: string, minPort = 1): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.%\w]+)\]|([^:[\]\s]+)):(\d+)$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host) {
    throw new UsageError(command, `expected HOST:PORT (IPv6 as [::1]:PORT), got '${text}'`);
  }
  if (!Number.isInteger(port) || port < minPort || port > MAX_PORT) {
    throw new UsageError(command, `the port must be ${minPort}-${MAX_PORT}, got '${match[3]}'`);
  }
  return { host, port };
}

/** `host:port` for messages, with IPv6 addresses in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
