// Shared by the SDK tests and the polyglot scenario: where scripts/sdk-setup.sh put the Python venv
// and the Go binaries, starting an operator process and reading its address, and certificates
// made for the test with openssl (the wire component's test kit).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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

export { makeTestCerts, type TestCerts } from '../framework/wire/testing/index.ts';
