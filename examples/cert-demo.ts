/**
 * `npm start` (until the demo server lands): makes a development CA and a localhost certificate
 * under .rxtls/, reusing them when they exist, and shows how to inspect and verify them.
 *
 * Run: npm start
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  decodeCert,
  issueCertificate,
  matchHostname,
} from '../src/index.js';

const dir = process.env['RXTLS_DIR'] ?? '.rxtls';
const caPath = join(dir, 'ca.pem');
const certPath = join(dir, 'localhost.pem');

async function ensureCertificates(): Promise<void> {
  if (existsSync(caPath) && existsSync(certPath)) return;
  mkdirSync(dir, { recursive: true });
  const ca = await createCertificateAuthority({ subject: 'CN=rxtls development CA' });
  const leaf = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
  });
  writeFileSync(caPath, ca.cert);
  writeFileSync(join(dir, 'ca-key.pem'), ca.key, { mode: 0o600 });
  writeFileSync(certPath, leaf.cert);
  writeFileSync(join(dir, 'localhost-key.pem'), leaf.key, { mode: 0o600 });
}

await ensureCertificates();
const leaf = decodeCert(readFileSync(certPath, 'utf8'));
matchHostname(leaf, 'localhost');
matchHostname(leaf, '127.0.0.1');
console.log(`development CA:          ${caPath}`);
console.log(`localhost certificate:   ${certPath} (key: ${join(dir, 'localhost-key.pem')})`);
console.log(`valid for localhost, 127.0.0.1 and ::1 until ${leaf.notAfter}`);
console.log('\nTry:');
console.log(`  openssl verify -CAfile ${caPath} ${certPath}`);
console.log(`  npx rxtls cert show ${certPath}`);
