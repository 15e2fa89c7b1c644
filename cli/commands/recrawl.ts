// What `quarry crawl --recrawl` submits: every page and image link the graph's schedule says is
// due, each on its own schedule (a link under an unchanged page is visited all the same).
import { ConfigError } from '../../framework/errors/index.ts';
import type { RelationEngine } from '../../relation-engine/index.ts';

export interface DueItem {
  dag: 'page-ingest' | 'image-ingest';
  itemKey: string;
  source: Record<string, string>;
  priority: 'normal';
}

/** `2026-12-01T00:00:00Z`, or `+30d` / `+12h` / `+90m` from now; default now. */
export function parseDueBefore(raw: string | undefined, now: number): number {
  if (raw === undefined) return now;
  const rel = /^\+(\d+)([dhm])$/.exec(raw);
  if (rel) return now + Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd' | 'h' | 'm'];
  const at = Date.parse(raw);
  if (Number.isFinite(at)) return at;
  throw new ConfigError([{ field: 'due-before', expected: 'an ISO date or +<n>d / +<n>h / +<n>m', received: raw }], 'crawl options');
}

export async function dueItems(engine: RelationEngine, beforeMs: number, maxDepth: number): Promise<DueItem[]> {
  const due = await engine.dueVisits({ beforeMs, limit: 1_000_000 });
  return due.map((d): DueItem => {
    if (d.kind === 'link') return { dag: 'image-ingest', itemKey: d.url, source: { url: d.url, pageUrl: '' }, priority: 'normal' };
    return { dag: 'page-ingest', itemKey: d.url, source: { url: d.url, depth: String(d.depth ?? 0), maxDepth: String(d.maxDepth ?? maxDepth) }, priority: 'normal' };
  });
}
