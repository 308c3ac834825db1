/**
 * Live certificates and several certificates per context: an echo server holding an RSA and an
 * ECDSA certificate (each client gets the one it can verify), reloaded when its files change
 * (watchCredentials) or on SIGHUP (reloadCredentials), for new connections only.
 *
 * Run: node dist/examples/live-certificates.js   (PORT, HOST from the environment; kill -HUP <pid>
 *      reloads, and so does replacing a file it prints)
 * Try: node dist/examples/echo-client.js          (with PORT and CAFILE as printed)
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { ReplaySubject } from 'rxjs';
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import {
  type CredentialFiles,
  type CredentialReloadEvent,
  reloadCredentials,
} from '../src/context/credential-reload.js';
import { watchCredentials } from '../src/context/credential-watch.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { EchoProtocol } from '../src/protocol/echo-protocol.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** A running server with live certificates. */
export interface LiveCertificates {
  server: Server;
  port: number;
  caFile: string;
  files: CredentialFiles;
  /** Every reload and refused reload, as watchCredentials emitted them. */
  reloads$: ReplaySubject<CredentialReloadEvent>;
  /** Renews the ECDSA certificate as certbot does: new files renamed into place. */
  renew(): void;
  close(): Promise<void>;
}

export async function main(
  options: { port?: number; host?: string } = {},
): Promise<LiveCertificates> {
  const hosts = ['localhost', '127.0.0.1'];
  const certs = await exampleCertificates({
    rsa: { hosts, keyType: 'rsa' },
    ecdsa: hosts,
    renewed: hosts,
  });
  // One chain per key type: RSA first, then ECDSA beside it (the same type would replace it).
  const files: CredentialFiles = { certs: [certs.files('rsa'), certs.files('ecdsa')] };
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  for (const { certfile, keyfile } of files.certs) context.loadCertChain(certfile, keyfile);

  const server = createServer({ context, protocol: EchoProtocol });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');

  // Reloads when the files change; a file that fails is refused and the old one keeps serving.
  const reloads$ = new ReplaySubject<CredentialReloadEvent>();
  const watching = watchCredentials(context, files).subscribe(reloads$);
  // SIGHUP reloads too (what `rxtls serve` does); a failure says why and changes nothing.
  const onHup = () => {
    try {
      reloadCredentials(context, files);
    } catch (error) {
      console.error((error as Error).message);
    }
  };
  process.on('SIGHUP', onHup);

  return {
    server,
    port,
    caFile: certs.caFile,
    files,
    reloads$,
    renew() {
      const from = certs.files('renewed');
      const to = certs.files('ecdsa');
      for (const [source, target] of [
        [from.keyfile, to.keyfile],
        [from.certfile, to.certfile],
      ] as const) {
        writeFileSync(`${target}.new`, readFileSync(source));
        renameSync(`${target}.new`, target);
      }
    },
    async close() {
      process.off('SIGHUP', onHup);
      watching.unsubscribe();
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const env = process.env;
  const running = await main({
    port: Number(env['PORT'] ?? 8444),
    host: env['HOST'] ?? '127.0.0.1',
  });
  running.reloads$.subscribe((event) =>
    console.log(event.kind === 'reloaded' ? event.certificates : event.error.message),
  );
  console.log(`live-certificates: echo on port ${running.port}, CA ${running.caFile}`);
  console.log(`files: ${JSON.stringify(running.files)}`);
  console.log(`reload: kill -HUP ${process.pid}`);
  process.once('SIGINT', () => void running.close());
}
