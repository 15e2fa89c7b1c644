// The re-visit schedule learns from change history: a page that keeps changing is visited more
// and more often, a stable one less and less, each within its kind's bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCHEDULE, nextVisit, type VisitOutcome } from './schedule.ts';
import type { VisitState } from './relation-store.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function history(kind: 'page' | 'link', changes: boolean[]): VisitState {
  let state: VisitState | undefined;
  let at = 0;
  for (const changed of changes) {
    const o: VisitOutcome = { kind, url: 'http://s/x', changed, gone: false, checkedAtMs: at };
    state = nextVisit(state, o);
    at = state.nextVisitAtMs;
  }
  return state!;
}

test('a changing page is visited sooner and sooner, a stable one later and later, within bounds', () => {
  const changing = history('page', [true, true, true, true, true, true, true, true]);
  const stable = history('page', [true, false, false, false, false, false, false, false, false, false, false]);
  assert.equal(changing.intervalMs, DEFAULT_SCHEDULE.page.minMs);
  assert.equal(stable.intervalMs, DEFAULT_SCHEDULE.page.maxMs);
  assert.equal(history('page', [true, true]).intervalMs, DAY / 2);
  assert.equal(history('page', [true, false]).intervalMs, 1.5 * DAY);
  assert.deepEqual([changing.checks, changing.changes, stable.checks, stable.changes], [8, 8, 11, 1]);
  assert.equal(stable.nextVisitAtMs, stable.checkedAtMs + stable.intervalMs);
});

test('links keep their own bounds; a dead link or gone page slows down; validators carry over unchanged checks', () => {
  assert.equal(history('link', [true]).intervalMs, DEFAULT_SCHEDULE.link.initialMs);
  const first = nextVisit(undefined, { kind: 'link', url: 'u', changed: true, gone: false, checkedAtMs: 0, etag: '"a"' });
  const same = nextVisit(first, { kind: 'link', url: 'u', changed: false, gone: false, checkedAtMs: 1 });
  assert.equal(same.etag, '"a"', 'a 304 keeps the validators it was sent with');
  const changed = nextVisit(same, { kind: 'link', url: 'u', changed: true, gone: false, checkedAtMs: 2 });
  assert.equal(changed.etag, undefined, 'new bytes without an ETag drop the old one');
  const dead = nextVisit(first, { kind: 'link', url: 'u', changed: true, gone: true, checkedAtMs: 3 });
  assert.deepEqual([dead.gone, dead.intervalMs], [true, 2 * first.intervalMs]);
  const page = nextVisit(undefined, { kind: 'page', url: 'p', changed: true, gone: false, checkedAtMs: 0, depth: 2, maxDepth: 3 });
  assert.deepEqual([nextVisit(page, { kind: 'page', url: 'p', changed: false, gone: false, checkedAtMs: 1, depth: 1 }).depth, page.maxDepth], [1, 3]);
});
