// Long-running commands (miner, operator, gate, dashboard) stop the same way: on SIGTERM or
// SIGINT, close what they opened, then exit — non-zero if closing failed.
const lastWords: (() => Promise<void>)[] = [];

/** Run after a command closed and before the process exits (trace export flushes here). */
export function beforeExit(fn: () => Promise<void>): void {
  lastWords.push(fn);
}

const finish = async (): Promise<void> => {
  for (const fn of lastWords) await fn().catch(() => {});
};

export function stopOnSignal(close: () => Promise<void>): void {
  const stop = () => {
    close().then(
      () => finish().then(() => process.exit(0)),
      (err: unknown) => {
        process.stderr.write(`quarry: stopping failed: ${(err as Error).message}\n`);
        void finish().then(() => process.exit(1));
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** A child process started for a parent (operators of `quarry run`) must not outlive it. */
export function exitWithParent(parentPid: number, close: () => Promise<void>): void {
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      clearInterval(timer);
      void close().then(finish).finally(() => process.exit(0));
    }
  }, 1_000);
  timer.unref();
}
