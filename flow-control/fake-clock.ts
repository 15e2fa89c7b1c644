/** Timer function the gate uses; `cancel` stops a pending call. */
export type Schedule = (fn: () => void | Promise<void>, delayMs: number) => { cancel(): void };

export const realSchedule: Schedule = (fn, delayMs) => {
  const t = setTimeout(() => { void fn(); }, delayMs);
  return { cancel: () => clearTimeout(t) };
};

/**
 * Simulated time: `advance` runs due timers in time order and awaits each, so a gate and a
 * capacity model driven by it run a simulated day in seconds, deterministically.
 */
export function createFakeClock(startMs = 0) {
  let t = startMs;
  let seq = 0;
  const timers: { at: number; seq: number; fn: () => void | Promise<void>; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, delayMs) => {
    const timer = { at: t + Math.max(0, delayMs), seq: seq++, fn, cancelled: false };
    // Keep sorted by (at, seq); timers are few, so an insertion from the back is cheap.
    let i = timers.length;
    while (i > 0 && (timers[i - 1]!.at > timer.at)) i--;
    timers.splice(i, 0, timer);
    return { cancel: () => { timer.cancelled = true; } };
  };
  return {
    now: () => t,
    schedule,
    get pending() { return timers.filter((x) => !x.cancelled).length; },
    async advance(ms: number): Promise<void> {
      const until = t + ms;
      for (;;) {
        const next = timers[0];
        if (!next || next.at > until) break;
        timers.shift();
        if (next.cancelled) continue;
        t = next.at;
        await next.fn();
      }
      t = until;
    },
  };
}
export type FakeClock = ReturnType<typeof createFakeClock>;
