// SPDX-License-Identifier: MIT
// Test certificates, made at test time with the openssl command (no key is
// committed): a throw-away CA and a certificate for localhost / 127.0.0.1
// signed by it, once per process, in a temporary folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let made = null;

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes (or returns) { dir, ca, cert, key, caPem, env } for a server on localhost. */
export function testCerts() {
  if (made) return made;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't4-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=tina4 test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  openssl(['req', ...ec, '-subj', '/CN=localhost', '-keyout', 'key.pem', '-out', 'req.csr'], dir);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', 'cert.pem'], dir);
  const p = (f) => path.join(dir, f);
  made = {
    dir,
    ca: p('ca.pem'),
    cert: p('cert.pem'),
    key: p('key.pem'),
    caPem: fs.readFileSync(p('ca.pem')),
    env: { TINA4_TLS_CERT: p('cert.pem'), TINA4_TLS_KEY: p('key.pem') },
  };
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return made;
}

/** A second certificate for localhost from the same CA (for reload tests), written over cert/key paths given. */
export function reissue(certPath, keyPath, cn = 'localhost') {
  const { dir } = testCerts();
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', ...ec, '-subj', `/CN=${cn}`, '-keyout', keyPath + '.new', '-out', 'req2.csr'], dir);
  openssl(['x509', '-req', '-in', 'req2.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', certPath + '.new'], dir);
  fs.renameSync(keyPath + '.new', keyPath);
  fs.renameSync(certPath + '.new', certPath);
}
