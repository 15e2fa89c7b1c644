// The re-visit schedule: every page and image link has its own next-visit time, learnt from its
// change history. A check that found a change halves the interval, an unchanged check grows it
// by half, a gone page or dead link doubles it; each kind stays within its own bounds.
import type { RelationStore, VisitState, WriteSet } from './relation-store.ts';

export interface ScheduleBounds {
  initialMs: number;
  minMs: number;
  maxMs: number;
}

export interface SchedulePolicy {
  page: ScheduleBounds;
  link: ScheduleBounds;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_SCHEDULE: SchedulePolicy = {
  page: { initialMs: DAY, minMs: HOUR, maxMs: 30 * DAY },
  link: { initialMs: 7 * DAY, minMs: DAY, maxMs: 90 * DAY },
};

export interface VisitOutcome {
  kind: 'page' | 'link';
  url: string;
  changed: boolean;
  gone: boolean;
  checkedAtMs: number;
  etag?: string | undefined;
  lastModified?: string | undefined;
  depth?: number | undefined;
  maxDepth?: number | undefined;
}

/** The state after one check, from the state before it. Pure. */
export function nextVisit(prev: VisitState | undefined, o: VisitOutcome, policy: SchedulePolicy = DEFAULT_SCHEDULE): VisitState {
  const b = policy[o.kind];
  let interval = prev ? prev.intervalMs * (o.gone ? 2 : o.changed ? 0.5 : 1.5) : b.initialMs;
  interval = Math.round(Math.min(b.maxMs, Math.max(b.minMs, interval)));
  // A changed answer brings its own validators; an unchanged one keeps the old unless it sends new.
  const etag = o.etag ?? (o.changed ? undefined : prev?.etag);
  const lastModified = o.lastModified ?? (o.changed ? undefined : prev?.lastModified);
  const depth = o.depth === undefined ? prev?.depth : Math.min(o.depth, prev?.depth ?? o.depth);
  const maxDepth = o.maxDepth ?? prev?.maxDepth;
  const changedAtMs = o.changed ? o.checkedAtMs : prev?.changedAtMs;
  return {
    kind: o.kind, url: o.url,
    ...(depth !== undefined ? { depth } : {}),
    ...(maxDepth !== undefined ? { maxDepth } : {}),
    ...(etag !== undefined ? { etag } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
    checks: (prev?.checks ?? 0) + 1,
    changes: (prev?.changes ?? 0) + (o.changed ? 1 : 0),
    intervalMs: interval,
    checkedAtMs: o.checkedAtMs,
    ...(changedAtMs !== undefined ? { changedAtMs } : {}),
    nextVisitAtMs: o.checkedAtMs + interval,
    ...(o.gone ? { gone: true } : {}),
  };
}

/** The visit writes for a set of checks (reads the states before them). */
export async function planVisits(store: RelationStore, outcomes: readonly VisitOutcome[], policy: SchedulePolicy): Promise<NonNullable<WriteSet['visits']>> {
  if (outcomes.length === 0) return [];
  const prev = await store.readVisits(outcomes.map((o) => ({ kind: o.kind, url: o.url })));
  return outcomes.map((o, i) => {
    const p = prev[i];
    // A check older than the one recorded (a late, out-of-order answer) changes nothing.
    if (p && o.checkedAtMs < p.checkedAtMs) return { state: p, prevDueAtMs: p.nextVisitAtMs };
    return { state: nextVisit(p, o, policy), ...(p ? { prevDueAtMs: p.nextVisitAtMs } : {}) };
  });
}

export interface DueVisitState extends VisitState {
  dueAtMs: number;
}

/** Visits due before `beforeMs`, earliest first; stale due entries (a crash's leftovers) are dropped. */
export async function dueVisits(store: RelationStore, o: { beforeMs: number; limit: number }): Promise<DueVisitState[]> {
  const due = await store.readDue({ beforeMs: o.beforeMs, limit: o.limit });
  const states = await store.readVisits(due);
  const out: DueVisitState[] = [];
  const stale: { kind: 'page' | 'link'; url: string; dueAtMs: number }[] = [];
  due.forEach((d, i) => {
    const s = states[i];
    if (s && s.nextVisitAtMs === d.dueAtMs) out.push({ ...s, dueAtMs: d.dueAtMs });
    else stale.push(d);
  });
  if (stale.length > 0) await store.remove({ visits: stale });
  return out;
}
