/**
 * HTTPS over rxtls for `rxtls serve --https` and the demo: h2 and http/1.1 by ALPN through
 * HttpService (Node's own HTTP servers on secure streams), with a small page showing the live
 * `reactor.stats()` and the visitor's TLS session, and the same as JSON at /stats.json.
 */
import type { SSLContext } from '../context/ssl-context.js';
import { type HttpRequest, type HttpResponse, HttpService } from '../protocol/http/http-service.js';
import type { Server } from '../endpoints/server.js';
import type { Reactor, ReactorStats } from '../transport/stream/reactor.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import { ServerNames, type TlsSessionInfo, tlsSessionInfo } from './tls-session-info.js';

/** How often the page refreshes its statistics from /stats.json. */
const REFRESH_MS = 2_000;

/** The body of /stats.json. */
export interface StatusReport {
  stats: ReactorStats;
  session: TlsSessionInfo | null;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Table rows; with `ids`, each cell is named after its key so the page's script can update it. */
function rows(record: object, ids = false): string {
  return Object.entries(record)
    .map(([key, value]) => `${rowStart(key, ids)}${escapeHtml(String(value ?? 'none'))}</td></tr>`)
    .join('\n');
}

/** `<tr><th>key</th><td ...>`, made once per key: the statistics' keys are the same every time. */
const rowStarts = new Map<string, string>();
function rowStart(key: string, ids: boolean): string {
  const cacheKey = `${ids ? 'id:' : ''}${key}`;
  let start = rowStarts.get(cacheKey);
  if (start === undefined) {
    const name = escapeHtml(key);
    start = `<tr><th>${name}</th><td${ids ? ` id="${name}"` : ''}>`;
    rowStarts.set(cacheKey, start);
  }
  return start;
}

/** The rows of a visitor's TLS session (fixed for the connection: made once per connection). */
function sessionRows(session: TlsSessionInfo): string {
  const cipher = session.cipher;
  return rows({
    version: session.version,
    cipher: cipher ? `${cipher.name} (${cipher.bits} bits)` : null,
    alpn: session.alpn,
    'server name (SNI)': session.serverName,
    resumed: session.resumed ? 'yes' : 'no',
    'client certificate': session.clientCertificate,
    'your address': session.remoteAddress,
  });
}

// The page's fixed parts, made once: a request fills in the session's and the statistics' rows.
const PAGE_START = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rxtls</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}th{text-align:left;padding-right:1em}</style>
</head><body>
<h1>Hello over rxtls</h1>
<h2>Your TLS session</h2>
<table>
`;
const PAGE_MIDDLE = `
</table>
<h2>Server statistics (reactor.stats())</h2>
<table>
`;
const PAGE_END = `
</table>
<p>As JSON: <a href="/stats.json">/stats.json</a></p>
<script>
setInterval(async () => {
  const { stats } = await (await fetch('/stats.json')).json();
  for (const [key, value] of Object.entries(stats)) document.getElementById(key).textContent = value;
}, ${REFRESH_MS});
</script>
</body></html>
`;

function page(session: string, stats: ReactorStats): string {
  return `${PAGE_START}${session}${PAGE_MIDDLE}${rows(stats, true)}${PAGE_END}`;
}

/** The HTML page for one report. */
export function renderStatusPage(report: StatusReport): string {
  return page(report.session ? sessionRows(report.session) : '', report.stats);
}

/** What the site keeps of one connection: its session, as JSON reports it and as page rows. */
interface ConnectionView {
  session: TlsSessionInfo;
  rows: string;
}

/** Serves the status page on the connections of `server` (whose context is `context`). */
export class HttpsStatusSite {
  readonly #reactor: Reactor;
  readonly #names: ServerNames;
  readonly #http: HttpService;
  readonly #connections = new WeakMap<object, ConnectionView>();

  constructor(context: SSLContext, reactor: Reactor) {
    this.#reactor = reactor;
    this.#names = new ServerNames(context);
    // Node's servers answer a malformed request themselves: 400, or GOAWAY on h2.
    this.#http = new HttpService((request, response) => this.#answer(request, response));
  }

  /** Hands one secure stream to the HTTP service (use as createServer's onSocket). */
  accept(socket: SSLSocket<unknown>): void {
    this.#http.accept(socket);
  }

  /** Takes every connection `server` accepts. */
  attach(server: Server): void {
    server.connections$.subscribe((socket) => this.accept(socket));
  }

  /**
   * The session of the connection `request` came on, read once per connection: a connection's
   * TLS session does not change after its handshake (no renegotiation; this site asks for no
   * post-handshake authentication), and reading it (cipher, peer certificate, addresses) per
   * request cost more than the rest of the page (docs/architecture.md, HTTP over rxtls).
   */
  #connection(request: HttpRequest): ConnectionView | undefined {
    const socket = this.#http.streamOf(request);
    if (!socket) return undefined;
    let view = this.#connections.get(socket);
    if (!view) {
      const session = tlsSessionInfo(socket, this.#names);
      view = { session, rows: sessionRows(session) };
      this.#connections.set(socket, view);
    }
    return view;
  }

  #answer(request: HttpRequest, response: HttpResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('method not allowed\n');
    } else if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page(this.#connection(request)?.rows ?? '', this.#reactor.stats()));
    } else if (path === '/stats.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      const report: StatusReport = {
        stats: this.#reactor.stats(),
        session: this.#connection(request)?.session ?? null,
      };
      response.end(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found\n');
    }
  }
}
