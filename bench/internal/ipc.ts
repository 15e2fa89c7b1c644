// Request/response over a child process's IPC channel: the bench drives its peer processes (and a
// peer its operator process) one request at a time, and a failure on the far side comes back as
// an error naming that process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

interface Request {
  id: number;
  body: unknown;
}
interface Reply {
  id: number;
  ok: boolean;
  body: unknown;
}

export interface Child {
  readonly pid: number;
  readonly name: string;
  request<T>(body: unknown): Promise<T>;
  /** Ask it to stop (a `close` request with `body`'s fields), then wait for the exit; SIGKILL after `graceMs`. */
  stop(body?: Record<string, unknown>, graceMs?: number): Promise<void>;
}

/** Start `node --import tsx <script> …args` with an IPC channel; resolves when it says `ready`. */
export async function startChild(name: string, script: string, args: readonly string[], options: { cwd: string; startTimeoutMs?: number }): Promise<Child> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: options.cwd, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let exited: string | undefined;
  proc.on('message', (m: Reply | 'ready') => {
    if (m === 'ready') return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.body);
    else p?.reject(new Error(`${name}: ${String(m.body)}`));
  });
  proc.on('exit', (code, signal) => {
    exited = `${name} exited (${signal ?? code})`;
    for (const p of pending.values()) p.reject(new Error(exited));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${options.startTimeoutMs ?? 120_000} ms`)), options.startTimeoutMs ?? 120_000);
    proc.on('message', (m) => {
      if (m === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
    });
  });
  const child: Child = {
    pid: proc.pid!,
    name,
    request<T>(body: unknown) {
      if (exited) return Promise.reject(new Error(exited));
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ id, body } satisfies Request);
      });
    },
    async stop(body = {}, graceMs = 60_000) {
      if (exited) return;
      const gone = once(proc, 'exit');
      const force = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await child.request({ ...body, op: 'close' }).catch((err: unknown) => console.error(`[bench] closing ${name}: ${String(err)}`));
      await gone;
      clearTimeout(force);
    },
  };
  return child;
}

/** The child's side: answer every request with `handle`; `close` requests exit after the reply. */
export function serveParent(handle: (body: { op: string } & Record<string, unknown>) => Promise<unknown>): void {
  if (!process.send) throw new Error('Expected to run as a child with an IPC channel (started by the bench), got none');
  // Gone with the parent: a killed bench must not leave peers running against the shared servers.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: Request) => {
    const body = m.body as { op: string } & Record<string, unknown>;
    handle(body).then(
      (out) => {
        process.send!({ id: m.id, ok: true, body: out } satisfies Reply, () => {
          if (body.op === 'close') process.exit(0);
        });
      },
      (err: unknown) => process.send!({ id: m.id, ok: false, body: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply),
    );
  });
  process.send('ready');
}
