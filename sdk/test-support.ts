// Shared by the SDK tests and the polyglot scenario: where scripts/sdk-setup.sh put the Python venv
// and the Go binaries, starting an operator process and reading its address, and certificates
// made for the test with openssl.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PYTHON = join(ROOT, '.sdk/venv/bin/python');
export const GO_BIN = join(ROOT, '.sdk/bin');

export function requireSdkBuild(): void {
  for (const f of [PYTHON, join(GO_BIN, 'quarry-image-extract')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`bash scripts/sdk-setup.sh\` (scripts/test.sh does)`);
  }
}

export interface OperatorProcess {
  address: string;
  summary: Record<string, unknown>;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). Resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Spawn an operator service and wait for the JSON line `{"listening": …}` it prints once up. */
export async function startOperatorProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<OperatorProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, QUARRY_LOG_LEVEL: 'error', ...env } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    void exited.then((code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  const summary = JSON.parse(line) as Record<string, unknown>;
  return {
    address: String(summary.listening),
    summary,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}

export const pythonOperator = (module: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}) => startOperatorProcess(PYTHON, ['-m', module, ...args], env);
export const goOperator = (binary: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}) => startOperatorProcess(join(GO_BIN, binary), args, env);

export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the servers do not trust. */
  rogueCert: string;
  rogueKey: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a rogue one. */
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
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key'), rogueCert: f('rogue.pem'), rogueKey: f('rogue.key') };
}
