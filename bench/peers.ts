/**
 * The C TLS terminators bench/server-cpu.ts measures rxtls against (issue 16): nginx (one process,
 * HTTPS with a tiny response) and HAProxy (one thread, TLS terminated and forwarded to a plain TCP
 * echo in a process of its own, whose CPU is not counted). Each is started with a configuration
 * written into the bench's temporary directory: TLS 1.3 only, X25519, the bench's ECDSA P-256
 * certificate. A peer whose binary is missing is skipped (Debian: apt-get install nginx haproxy).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

/** A server process the bench measures; `helpers` run beside it and are not counted. */
export interface PeerProcess {
  child: ChildProcess;
  port: number;
  helpers: ChildProcess[];
}

/** A free port on 127.0.0.1 for a server that cannot listen on port 0 and report it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts connections (bounded: 200 tries, 50 ms apart). */
async function waitListening(port: number, child: ChildProcess, name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

export function installed(binary: string): boolean {
  return spawnSync(binary, ['-v'], { stdio: 'ignore' }).status === 0;
}

export function uvloopInstalled(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import uvloop'], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs the Debian packages of the missing peers (nginx, haproxy, python3-uvloop) with apt-get
 * when this process may (root, apt-get present), as scripts/install-test-peers.sh does for the
 * tests; otherwise the bench skips what is missing with one line each.
 */
export function installMissingPeers(say: (line: string) => void): void {
  const missing = [
    installed('nginx') ? '' : 'nginx',
    installed('haproxy') ? '' : 'haproxy',
    uvloopInstalled() ? '' : 'python3-uvloop',
  ].filter(Boolean);
  if (missing.length === 0) return;
  const canInstall =
    process.getuid?.() === 0 &&
    spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canInstall) return;
  say(`installing missing peers: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], {
    stdio: 'ignore',
    env,
  });
  if (result.status !== 0)
    say(`apt-get install ${missing.join(' ')} failed (status ${result.status})`);
}

/** nginx 1.22 in one process (no master), HTTPS answering every request with 3 bytes. */
export async function startNginx(dir: string, cert: string, key: string): Promise<PeerProcess> {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/nginx-error.log crit;
pid ${dir}/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fastcgi;
  uwsgi_temp_path ${dir}/nginx-uwsgi;
  scgi_temp_path ${dir}/nginx-scgi;
  server {
    listen 127.0.0.1:${port} ssl backlog=4096;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  const child = spawn('nginx', ['-e', `${dir}/nginx-error.log`, '-p', dir, '-c', conf], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitListening(port, child, 'nginx');
  return { child, port, helpers: [] };
}

/** The plain TCP echo HAProxy forwards to: a Node `net` server in its own process. */
const TCP_ECHO = `const net = require('node:net');
const server = net.createServer((s) => { s.on('error', () => {}); s.pipe(s); });
server.listen(Number(process.argv[1]), '127.0.0.1', 4096);
process.once('SIGTERM', () => process.exit(0));`;

/** HAProxy 2.6 with one thread: TLS terminated, the plaintext forwarded to a TCP echo. */
export async function startHaproxy(dir: string, cert: string, key: string): Promise<PeerProcess> {
  const port = await freePort();
  const echoPort = await freePort();
  const echo = spawn(process.execPath, ['-e', TCP_ECHO, String(echoPort)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitListening(echoPort, echo, 'the TCP echo');
  // HAProxy reads the certificate and its key from one file.
  const pem = join(dir, 'haproxy.pem');
  writeFileSync(pem, `${readFileSync(cert, 'utf8')}${readFileSync(key, 'utf8')}`);
  const conf = join(dir, 'haproxy.cfg');
  writeFileSync(
    conf,
    `global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend tls
  bind 127.0.0.1:${port} ssl crt ${pem} ssl-min-ver TLSv1.3 curves X25519
  default_backend echo
backend echo
  server echo 127.0.0.1:${echoPort}
`,
  );
  const child = spawn('haproxy', ['-db', '-f', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitListening(port, child, 'haproxy');
  } catch (error) {
    echo.kill('SIGTERM');
    throw error;
  }
  return { child, port, helpers: [echo] };
}
