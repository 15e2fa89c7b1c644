// Operators as local gRPC child processes (`quarry operator …`), for `quarry run` and
// `quarry crawl --isolate`: a crashing operator cannot take the miner down with it. They serve
// plaintext on loopback (the QUARRY_TLS_* variables are not passed on), with the token if
// QUARRY_OPERATOR_TOKEN is set.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { QuarryError } from '../framework/errors/index.ts';
import { ownOperatorEnv } from './channel-flags.ts';

export interface OperatorProcesses {
  endpoints: string[];
  pids: number[];
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export async function spawnOperatorProcesses(groups: readonly (readonly string[])[], args: readonly string[], options: { startTimeoutMs?: number } = {}): Promise<OperatorProcesses> {
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const force = setTimeout(() => c.kill('SIGKILL'), 5_000);
            c.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    const endpoints = await Promise.all(
      groups.map(async (names) => {
        const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'operator', ...names, '--port', '0', '--parent-pid', String(process.pid), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: ownOperatorEnv() });
        children.push(child);
        const lines = createInterface({ input: child.stdout! });
        return new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new QuarryError('OPERATOR_START_FAILED', `operator process (${names.join(', ')}) did not start within ${options.startTimeoutMs ?? 60_000} ms`)), options.startTimeoutMs ?? 60_000);
          child.once('exit', (code) => reject(new QuarryError('OPERATOR_START_FAILED', `operator process (${names.join(', ')}) exited with ${code} before listening`)));
          lines.once('line', (line) => {
            clearTimeout(timer);
            try {
              resolve((JSON.parse(line) as { listening: string }).listening);
            } catch {
              reject(new QuarryError('OPERATOR_START_FAILED', `operator process said \`${line}\` instead of its address`));
            }
          });
        });
      }),
    );
    return { endpoints, pids: children.map((c) => c.pid!), close };
  } catch (err) {
    await close();
    throw err;
  }
}
