// Certificates made for a test with openssl: a CA, a server certificate for 127.0.0.1 and
// localhost, a client certificate it signed, and a client certificate of another CA.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the servers do not trust. */
  rogueCert: string;
  rogueKey: string;
  /** That other CA (a client trusting it does not trust the servers). */
  rogueCa: string;
}

/** PEM files in `dir`, valid for two days. */
export function makeTestCerts(dir: string): TestCerts {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const ca of ['ca', 'rogue-ca']) ssl('req', '-x509', ...key, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=quarry-test-${ca}`);
  const issue = (name: string, ca: string, ext: string, cn: string) => {
    ssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext);
  };
  issue('server', 'ca', 'server.ext', 'localhost');
  issue('client', 'ca', 'client.ext', 'quarry-miner');
  issue('rogue', 'rogue-ca', 'client.ext', 'intruder');
  const f = (n: string) => join(dir, n);
  return {
    ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key'),
    rogueCert: f('rogue.pem'), rogueKey: f('rogue.key'), rogueCa: f('rogue-ca.pem'),
  };
}
