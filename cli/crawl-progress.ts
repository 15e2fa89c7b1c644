// The crawl's progress line: totals so far per DAG (pages crawled, not refused ones), what is in
// flight, what waits in the gate, and what the crawl is waiting on right now.
import type { ItemRecord } from '../framework/item-ledger/index.ts';

export interface ProgressSnapshot {
  elapsedMs: number;
  records: readonly ItemRecord[];
  /** Items in flight per DAG (from the ledger). */
  inFlight: Readonly<Record<string, number>>;
  /** Operator calls in flight per node (this process). */
  calls: readonly { dag: string; node: string; inFlight: number }[];
  gate?: { backlog: number; deferred: number };
}

function tally(records: readonly ItemRecord[], dag: string) {
  let done = 0;
  let completed = 0;
  let unchanged = 0;
  let dead = 0;
  for (const r of records) {
    if (r.dag !== dag) continue;
    done += 1;
    if (r.state === 'completed') completed += 1;
    else if (r.reason === 'unchanged') unchanged += 1;
    else if (r.reason?.startsWith('dead-link')) dead += 1;
  }
  return { done, completed, unchanged, dead, refused: done - completed - unchanged - dead };
}

export function formatProgress(s: ProgressSnapshot): string {
  const p = tally(s.records, 'page-ingest');
  const i = tally(s.records, 'image-ingest');
  const o = tally(s.records, 'ocr-ingest');
  const fly = (dag: string) => (s.inFlight[dag] ? `, ${s.inFlight[dag]} in flight` : '');
  const parts = [
    `pages ${p.completed} crawled${p.unchanged ? `, ${p.unchanged} unchanged` : ''}${p.refused + p.dead ? `, ${p.refused + p.dead} refused` : ''}${fly('page-ingest')}`,
    `image links ${i.done} done${i.dead ? ` (${i.dead} dead)` : ''}${fly('image-ingest')}`,
    `ocr ${o.done} done${fly('ocr-ingest')}`,
  ];
  const g = s.gate;
  if (g && g.backlog + g.deferred > 0) parts.push(`gate ${g.backlog} waiting, ${g.deferred} deferred`);
  parts.push(waitsOn(s));
  return `  … ${Math.round(s.elapsedMs / 1000)} s · ${parts.join(' · ')}`;
}

function waitsOn(s: ProgressSnapshot): string {
  const busy = s.calls.filter((c) => c.inFlight > 0).sort((a, b) => b.inFlight - a.inFlight || `${a.dag}/${a.node}`.localeCompare(`${b.dag}/${b.node}`));
  if (busy.length > 0) return `waiting on ${busy.slice(0, 3).map((c, n) => `${c.dag}/${c.node} (${c.inFlight}${n === 0 ? ` call${c.inFlight === 1 ? '' : 's'}` : ''})`).join(', ')}`;
  const items = Object.values(s.inFlight).reduce((a, n) => a + n, 0);
  if (items > 0) return `waiting on ${items} item(s) queued or between retries`;
  if (s.gate?.backlog) return 'waiting on the gate to admit';
  if (s.gate?.deferred) return 'waiting on deferred OCR work (released off-peak or on spare capacity)';
  return 'finishing';
}
