// The one driver every pipeline peer is measured with: a closed loop that keeps at most `window`
// items in flight, submits them in batches of up to 64 (at least 16, or what is left, so a
// window that frees one slot at a time does not degrade into single submits), and times each
// item from the moment its batch is handed to the peer until the peer reports it terminal, both
// on this process's monotonic clock.
import { performance } from 'node:perf_hooks';

export interface BenchItem {
  key: string;
  bytes: number;
}

/** What a pipeline peer offers the driver. */
export interface PipelineTarget {
  submit(items: readonly BenchItem[]): Promise<void>;
  /** Registers the callback every terminal item (of any phase) is reported to. */
  onTerminal(fn: (key: string, state: string) => void): void;
}

export interface LoopResult {
  items: number;
  ends: Record<string, number>;
  /** First submit to last terminal. */
  elapsedMs: number;
  latenciesMs: number[];
}

const MAX_BATCH = 64;
const MIN_BATCH = 16;

export async function runClosedLoop(target: PipelineTarget, o: { items: number; bytes: number; window: number; keyPrefix: string; timeoutMs?: number }): Promise<LoopResult> {
  const started = new Map<string, number>();
  const latenciesMs: number[] = [];
  const ends: Record<string, number> = {};
  let done = 0;
  let wake: (() => void) | undefined;
  target.onTerminal((key, state) => {
    const t = started.get(key);
    if (t === undefined) return;
    started.delete(key);
    latenciesMs.push(Math.round((performance.now() - t) * 10) / 10);
    ends[state] = (ends[state] ?? 0) + 1;
    done++;
    wake?.();
  });
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  const start = performance.now();
  let submitted = 0;
  while (done < o.items) {
    if (Date.now() > deadline) throw new Error(`closed loop: ${o.items - done} of ${o.items} items not terminal after ${o.timeoutMs ?? 300_000} ms (first: ${[...started.keys()][0]})`);
    const room = Math.min(o.window - (submitted - done), o.items - submitted, MAX_BATCH);
    if (room > 0 && room >= Math.min(MIN_BATCH, o.items - submitted, o.window)) {
      const batch = Array.from({ length: room }, (_, i) => ({ key: `${o.keyPrefix}${submitted + i}`, bytes: o.bytes }));
      submitted += room;
      const t = performance.now();
      for (const it of batch) started.set(it.key, t);
      await target.submit(batch);
      continue;
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200);
    });
    wake = undefined;
  }
  const elapsedMs = performance.now() - start;
  target.onTerminal(() => {});
  return { items: o.items, ends, elapsedMs, latenciesMs };
}
