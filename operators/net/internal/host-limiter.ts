// Per-host politeness: at most `concurrency` requests in flight to one host, and at least
// `delayMs` between the starts of two requests to it. A request that would wait longer than
// `maxWaitMs` is refused at once with HOST_BUSY (and a retry-after), so a slow or busy host
// holds a worker for at most that long and never holds back the requests to other hosts.
import { FetchError } from './fetch-error.ts';

export interface HostLimit {
  concurrency: number;
  delayMs: number;
}

interface HostState {
  active: number;
  lastStart: number;
  waiters: { ready: () => void; fail: (e: Error) => void; timer: NodeJS.Timeout; limit: HostLimit }[];
  timer: NodeJS.Timeout | undefined;
}

export interface HostLimiter {
  /** Waits for a slot on `host`; the returned function gives it back. */
  acquire(host: string, url: string, limit: HostLimit, maxWaitMs: number): Promise<() => void>;
  /** Requests in flight and waiting, per host (for tests and diagnostics). */
  stats(host: string): { active: number; waiting: number };
}

export function createHostLimiter(now: () => number = Date.now): HostLimiter {
  const hosts = new Map<string, HostState>();
  const state = (host: string): HostState => {
    let s = hosts.get(host);
    if (!s) hosts.set(host, (s = { active: 0, lastStart: -Infinity, waiters: [], timer: undefined }));
    return s;
  };
  // Starts the waiters whose turn has come; arms a timer for the next one held by the delay.
  const pump = (host: string, s: HostState): void => {
    clearTimeout(s.timer);
    s.timer = undefined;
    while (s.waiters.length > 0) {
      const w = s.waiters[0]!;
      if (s.active >= w.limit.concurrency) return;
      const wait = s.lastStart + w.limit.delayMs - now();
      if (wait > 0) {
        s.timer = setTimeout(() => pump(host, s), wait);
        return;
      }
      s.waiters.shift();
      clearTimeout(w.timer);
      s.active++;
      s.lastStart = now();
      w.ready();
    }
  };
  // Forget hosts idle for a minute (their delay has long passed), so state follows active hosts.
  let lastSweep = now();
  const sweep = (): void => {
    if (now() - lastSweep < 60_000) return;
    lastSweep = now();
    for (const [h, s] of hosts) if (s.active === 0 && s.waiters.length === 0 && now() - s.lastStart > 60_000) hosts.delete(h);
  };
  return {
    acquire(host, url, limit, maxWaitMs) {
      sweep();
      const s = state(host);
      return new Promise<() => void>((resolve, reject) => {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          s.active--;
          pump(host, s);
        };
        const waiter = {
          limit,
          ready: () => resolve(release),
          fail: reject,
          timer: setTimeout(() => {
            const i = s.waiters.indexOf(waiter);
            if (i >= 0) s.waiters.splice(i, 1);
            const retryAfterMs = Math.max(limit.delayMs * (s.waiters.length + 1), 1_000);
            reject(new FetchError('HOST_BUSY', url, `Host \`${host}\` is busy (${s.active} in flight, ${s.waiters.length} waiting); try again in ${retryAfterMs} ms`, { retryAfterMs }));
          }, maxWaitMs),
        };
        s.waiters.push(waiter);
        pump(host, s);
      });
    },
    stats(host) {
      const s = hosts.get(host);
      return { active: s?.active ?? 0, waiting: s?.waiters.length ?? 0 };
    },
  };
}
