// The main job's summary: what was crawled, what was rejected and why, and how long it took.
import type { ItemRecord } from '../framework/item-ledger/index.ts';
import { createContentIndex, type IndexStore } from '../operators/index-builder/index.ts';
import type { RelationCounts, RelationEngine } from '../relation-engine/index.ts';

export interface RefusedItem {
  dag: string;
  url: string;
  state: string;
  /** The node the item ended at. */
  node?: string;
  reason: string;
}

export interface CrawlSummary {
  seeds: string[];
  pages: number;
  imageLinks: number;
  uniqueContents: number;
  /** Pages whose bytes were the same as at their last crawl: nothing downstream ran again. */
  unchangedPages: number;
  /** Image links whose content was already known (same bytes under another URL or page). */
  duplicateLinks: number;
  /** Groups of near-duplicate contents (pHash within the index's distance). */
  nearDuplicateGroups: number;
  deadLinks: number;
  /** Contents in which OCR found text. */
  ocrTexts: number;
  /** Items that did not complete, by DAG and reason (the full reason: a dead letter's cause included). */
  rejected: Record<string, number>;
  /** Every refused or dead-lettered URL of this run, with its full reason (what `--report` lists). */
  refused: RefusedItem[];
  ended: Record<string, Record<string, number>>;
  relations?: RelationCounts;
  elapsedMs: number;
}

const INTENDED = /^(known-content|unchanged)$/;

export async function summarize(input: { records: readonly ItemRecord[]; engine: RelationEngine | undefined; indexStore: IndexStore | undefined; elapsedMs: number; seeds: string[] }): Promise<CrawlSummary> {
  const ended: Record<string, Record<string, number>> = {};
  const rejected: Record<string, number> = {};
  const refused: RefusedItem[] = [];
  let deadLinks = 0;
  let duplicateLinks = 0;
  let unchangedPages = 0;
  for (const r of input.records) {
    const byDag = (ended[r.dag] ??= {});
    byDag[r.state] = (byDag[r.state] ?? 0) + 1;
    if (r.state === 'completed') continue;
    const reason = r.reason ?? r.state;
    if (reason.startsWith('dead-link')) deadLinks += 1;
    else if (reason === 'known-content') duplicateLinks += 1;
    else if (reason === 'unchanged') unchangedPages += 1;
    if (!INTENDED.test(reason)) refused.push({ dag: r.dag, url: r.itemKey, state: r.state, ...(r.node ? { node: r.node } : {}), reason });
    if (!INTENDED.test(reason) && !reason.startsWith('dead-link')) {
      const key = `${r.dag}: ${r.state === 'filtered' ? reason : `${r.state}${r.node ? ` at ${r.node}` : ''} — ${reason}`}`;
      rejected[key] = (rejected[key] ?? 0) + 1;
    }
  }
  const relations = input.engine ? await input.engine.counts() : undefined;
  let ocrTexts = 0;
  if (input.engine) for await (const c of input.engine.scan()) if ((c.ocrText ?? '').trim().length > 0) ocrTexts += 1;
  const groups = input.indexStore ? await createContentIndex({ store: input.indexStore }).groups() : [];
  return {
    seeds: input.seeds,
    pages: ended['page-ingest']?.completed ?? 0,
    unchangedPages,
    imageLinks: input.records.filter((r) => r.dag === 'image-ingest').length,
    uniqueContents: relations?.contents ?? 0,
    duplicateLinks,
    nearDuplicateGroups: groups.length,
    deadLinks,
    ocrTexts,
    rejected,
    refused: refused.sort((a, b) => a.dag.localeCompare(b.dag) || a.url.localeCompare(b.url)),
    ended,
    ...(relations ? { relations } : {}),
    elapsedMs: input.elapsedMs,
  };
}

/** How many reasons the console summary lists before pointing at `--report`. */
const MAX_REASONS = 25;

/**
 * This run's figures first (what the crawl did), then the graph's (everything crawled into the
 * store so far, by this and earlier runs): a re-crawl that skips unchanged pages still shows the
 * whole graph's contents.
 */
export function formatSummary(s: CrawlSummary, where: { relations?: string } = {}): string {
  const reasons = Object.entries(s.rejected).sort();
  const lines = [
    'Crawl summary — this run',
    `  pages crawled        ${s.pages}${s.unchangedPages ? `   (unchanged since the last crawl, skipped: ${s.unchangedPages})` : ''}`,
    `  image links          ${s.imageLinks}`,
    `  duplicate links      ${s.duplicateLinks}`,
    `  dead links           ${s.deadLinks}`,
    `  elapsed              ${(s.elapsedMs / 1000).toFixed(1)} s`,
    '  rejected inputs by reason:',
    ...reasons.slice(0, MAX_REASONS).map(([k, n]) => `    ${String(n).padStart(4)}  ${k}`),
  ];
  if (reasons.length === 0) lines.push('    none');
  if (reasons.length > MAX_REASONS) lines.push(`    … ${reasons.length - MAX_REASONS} more reasons: --report <file> lists every refused URL with its reason`);
  lines.push(
    `The relation graph now — all runs${where.relations ? ` (${where.relations})` : ''}`,
    ...(s.relations ? [`  pages                ${s.relations.pages}`, `  image links          ${s.relations.links}`] : []),
    `  unique contents      ${s.uniqueContents}   (near-duplicate groups: ${s.nearDuplicateGroups})`,
    `  OCR texts found      ${s.ocrTexts}`,
  );
  return lines.join('\n');
}
