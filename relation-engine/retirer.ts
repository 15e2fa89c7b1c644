// Continuous retirement, as a deployment runs it: every `intervalMs`, retire what the journal
// holds beyond the grace period. One run at a time; a failed run is reported and tried again.
import type { RetireOptions, RetireReport } from './retire.ts';

export interface RetirerOptions extends Omit<RetireOptions, 'limit'> {
  intervalMs: number;
  /** Entries per run at most (default 10 000), so one run never holds the store for long. */
  limit?: number;
  onReport?: (report: RetireReport) => void;
  onError?: (err: unknown) => void;
}

export interface Retirer {
  /** Runs once now (after the current run, if one is going). */
  runNow(): Promise<RetireReport>;
  stop(): Promise<void>;
}

export function startRetirer(run: (o: RetireOptions) => Promise<RetireReport>, o: RetirerOptions): Retirer {
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) throw new TypeError(`Expected \`intervalMs\` to be an integer ≥ 1, got \`${o.intervalMs}\``);
  let current: Promise<RetireReport> | undefined;
  let stopped = false;
  const once = async (): Promise<RetireReport> => {
    while (current) await current.catch(() => undefined);
    current = run({ ...o, limit: o.limit ?? 10_000 });
    try {
      const report = await current;
      o.onReport?.(report);
      return report;
    } finally {
      current = undefined;
    }
  };
  const timer = setInterval(() => {
    if (stopped || current) return;
    once().catch((err: unknown) => o.onError?.(err));
  }, o.intervalMs);
  timer.unref();
  return {
    runNow: once,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current?.catch(() => undefined);
    },
  };
}
