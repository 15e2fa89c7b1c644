// The RelationEngine: versioned, batched writes and validated reads over any RelationStore.
// A write puts its journal entry and edges first (tagged with the new version), then the vertex;
// the vertex write is the commit that makes the new edges visible and the old ones stale at once.
import type { Writable } from 'node:stream';
import type { ContentFeatures, LinkVertex, OcrLine, PageVertex } from './model.ts';
import type { RelationStore, WriteSet } from './relation-store.ts';
import {
  check, checkKeys, contentKeyParts, featuresSchema, linkKeyParts, pageKeyParts, linkInputSchema, ocrLinesSchema, ocrTextSchema, pageInputSchema, signSchema, tenantSchema, urlSchema,
  visitCheckSchema, type LinkInput, type PageInput, type VisitCheck,
} from './inputs.ts';
import { contentOfLink, imagesOfPage, relate, resolvePage, type ContentRelation, type LinkContent, type PageImages } from './queries.ts';
import { retire, type RetireOptions, type RetireReport } from './retire.ts';
import { exactCounts, maintainedCounts, type RelationCounts } from './counts.ts';
import { exportJsonl, writeChunks, type ExportProgress, type ExportReport } from './export-jsonl.ts';
import { threadedChunks } from './export-threads.ts';
import { scanBatches, type ScanOptions } from './scan.ts';
import { DEFAULT_SCHEDULE, dueVisits, planVisits, type DueVisitState, type SchedulePolicy } from './schedule.ts';
import { planPageDeletion, planPages, type CheckedPage, type WriteContext, type WriteResult } from './write-pages.ts';
import { planLinks, type CheckedLink, type LinkWriteResult } from './write-links.ts';
import { DEFAULT_TENANT, planContents, releaseRefs, type ContentWrite } from './write-contents.ts';
import { rounds } from './internal/rounds.ts';
import { KeyLocks } from './internal/key-locks.ts';
import { startRetirer, type Retirer, type RetirerOptions } from './retirer.ts';

export interface RelationEngineOptions {
  store: RelationStore;
  /** Clock for versions; versions are max(previous + 1, now()) so a retry after a crash outranks orphans. */
  now?: () => number;
  /** Point reads in flight per query. */
  concurrency?: number;
  /** How re-visit intervals follow change history. */
  schedule?: SchedulePolicy;
  /** Retirement also retires links no page shows and contents no link serves (default true). */
  retireOrphans?: boolean;
  /** Bucket ranges a scan reads at once (default 1 embedded, 8 on Cassandra). */
  scanParallel?: number;
}

export type { WriteResult, LinkWriteResult };

export class RelationEngine {
  readonly store: RelationStore;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly ctx: WriteContext;
  private readonly orphans: boolean;
  private readonly scanParallel: number;
  /** A key's writes in this process plan and apply one at a time (see KeyLocks). */
  private readonly locks = new KeyLocks();

  constructor(options: RelationEngineOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.concurrency = options.concurrency ?? 16;
    this.ctx = { store: this.store, now: this.now, policy: options.schedule ?? DEFAULT_SCHEDULE };
    this.orphans = options.retireOrphans ?? true;
    this.scanParallel = options.scanParallel ?? (this.store.kind === 'cassandra' ? 8 : 1);
  }

  /** Records a crawl of a page and the image links it shows now; links it no longer shows vanish. */
  async upsertPage(raw: PageInput): Promise<WriteResult> {
    return one(await this.upsertPages([raw]));
  }

  /** A batch of page crawls: one read, one write set per round. Bad input fails only its item. */
  async upsertPages(raws: readonly PageInput[]): Promise<(WriteResult | Error)[]> {
    const checkOne = (r: PageInput): CheckedPage => {
      const p = check(pageInputSchema, r, 'page input') as CheckedPage;
      checkKeys(this.store, pageKeyParts(p), 'page input');
      return p;
    };
    return this.batch(raws, checkOne, (p) => [p.url, ...p.aliases].map(pageKey), (items) => planPages(this.ctx, items));
  }

  /** Records a fetch of an image link: dead, alive with a content, or alive with content unknown. */
  async markLink(raw: LinkInput): Promise<LinkWriteResult> {
    return one(await this.markLinks([raw]));
  }

  async markLinks(raws: readonly LinkInput[]): Promise<(LinkWriteResult | Error)[]> {
    const checkOne = (r: LinkInput): CheckedLink => {
      const l = check(linkInputSchema, r, 'link input') as CheckedLink;
      checkKeys(this.store, linkKeyParts(l), 'link input');
      return l;
    };
    return this.batch(raws, checkOne, (l) => [linkKey(l.url)], (items) => planLinks(this.ctx, items), (l) => [linkKey(l.url), ...(l.contentSign !== undefined ? [contentKey(l.contentSign)] : [])]);
  }

  async upsertContent(sign: string, features: ContentFeatures, thumbnailRef?: string, o: { tenant?: string } = {}): Promise<void> {
    one(await this.upsertContents([{ sign, features, ...(thumbnailRef !== undefined ? { thumbnailRef } : {}), ...o }]));
  }

  async setOcr(sign: string, text: string, lines?: readonly OcrLine[]): Promise<void> {
    one(await this.upsertContents([{ sign, ocrText: text, ...(lines !== undefined ? { ocrLines: lines } : {}) }]));
  }

  /** Features, thumbnails and OCR text for many contents at once. */
  async upsertContents(raws: readonly ContentWrite[]): Promise<(undefined | Error)[]> {
    const checkOne = (c: ContentWrite): ContentWrite => {
      check(signSchema, c.sign, 'content sign');
      if (c.features) check(featuresSchema, c.features, 'content features');
      if (c.ocrText !== undefined) check(ocrTextSchema, c.ocrText, 'ocr text');
      if (c.ocrLines !== undefined) check(ocrLinesSchema, c.ocrLines, 'ocr lines');
      if (c.tenant !== undefined) check(tenantSchema, c.tenant, 'tenant');
      checkKeys(this.store, contentKeyParts(c, DEFAULT_TENANT), 'content');
      return c;
    };
    return this.batch(raws, checkOne, (c) => [contentKey(c.sign)], async (items) => {
      const { writes, dropRefs } = await planContents(this.store, items, this.now());
      if (dropRefs.length > 0) await releaseRefs(this.store, dropRefs, this.now());
      return { writes, results: items.map(() => undefined) };
    });
  }

  /**
   * Hides the page and every edge it had; false if there was no such live page. `goneAtMs`: a
   * crawl found it gone then (an older crawl than the one recorded changes nothing), and its
   * schedule says so.
   */
  async deletePage(url: string, o: { goneAtMs?: number } = {}): Promise<boolean> {
    check(urlSchema, url, 'page url');
    return this.locks.with([pageKey(url)], async () => {
      const writes = await planPageDeletion(this.ctx, url, o.goneAtMs);
      if (!writes) return false;
      if (o.goneAtMs !== undefined) writes.visits = await planVisits(this.store, [{ kind: 'page', url, changed: true, gone: true, checkedAtMs: o.goneAtMs }], this.ctx.policy);
      await this.store.apply(writes);
      return true;
    });
  }

  /** Records checks that found nothing new (not modified, same bytes), or a gone page or dead link. */
  async recordVisits(raws: readonly VisitCheck[]): Promise<void> {
    const checks = raws.map((r) => check(visitCheckSchema, r, 'visit'));
    await this.locks.with(checks.map((c) => (c.kind === 'page' ? pageKey(c.url) : linkKey(c.url))), async () => {
      await this.store.apply({ visits: await planVisits(this.store, checks, this.ctx.policy) });
    });
  }

  /** What a conditional GET of a page needs: its canonical URL, content hash and validators. */
  async pageValidators(url: string): Promise<{ url: string; contentHash: string; etag?: string; lastModified?: string } | undefined> {
    const v = await resolvePage(this.store, check(urlSchema, url, 'page url'));
    if (!v || v.deleted) return undefined;
    const [visit] = await this.store.readVisits([{ kind: 'page', url: v.url }]);
    return { url: v.url, contentHash: v.contentHash, ...(visit?.etag ? { etag: visit.etag } : {}), ...(visit?.lastModified ? { lastModified: visit.lastModified } : {}) };
  }

  /** What a conditional GET of an image link needs: the validators of its last fetch, if it serves a content. */
  async linkValidators(url: string): Promise<{ sign: string; etag?: string; lastModified?: string } | undefined> {
    const live = (await this.contentOfLink(url))?.content;
    if (!live) return undefined;
    const [visit] = await this.store.readVisits([{ kind: 'link', url }]);
    return { sign: live.sign, ...(visit?.etag ? { etag: visit.etag } : {}), ...(visit?.lastModified ? { lastModified: visit.lastModified } : {}) };
  }

  async pageContentHash(url: string): Promise<string | undefined> {
    const v = await resolvePage(this.store, check(urlSchema, url, 'page url'));
    return v && !v.deleted ? v.contentHash : undefined;
  }

  async contentHasFeatures(sign: string): Promise<boolean> {
    return (await this.contentsHaveFeatures([sign]))[0]!;
  }

  /** Whether each content has its features recorded: one batched read. */
  async contentsHaveFeatures(signs: readonly string[]): Promise<boolean[]> {
    for (const s of signs) check(signSchema, s, 'content sign');
    return (await this.store.readContentVertices(signs)).map((v) => v?.features !== undefined);
  }

  imagesOfPage(url: string): Promise<PageImages | undefined> {
    return imagesOfPage(this.store, check(urlSchema, url, 'page url'), this.concurrency);
  }

  contentOfLink(url: string): Promise<LinkContent | undefined> {
    return contentOfLink(this.store, check(urlSchema, url, 'link url'));
  }

  async sourcesOfContent(sign: string): Promise<ContentRelation | undefined> {
    return relate(this.store, await this.store.readContent(check(signSchema, sign, 'content sign')));
  }

  /** Every content in a stable order (bucket, then sign) with its whole validated relation. */
  async *scan(o: ScanOptions = {}): AsyncIterable<ContentRelation> {
    for await (const batch of this.scanBatches(o)) yield* batch;
  }

  scanBatches(o: ScanOptions = {}): AsyncIterable<ContentRelation[]> {
    return scanBatches(this.store, { parallel: this.scanParallel, ...o });
  }

  /**
   * Every content with its relation as JSON lines, in scan order. `threads` > 1 on an embedded
   * store reads and encodes slices of the buckets in that many worker threads (the same output).
   */
  async exportJsonl(out: Writable, options: { onProgress?: (p: ExportProgress) => void; progressEveryMs?: number; threads?: number } & ScanOptions = {}): Promise<ExportReport> {
    const { threads = 1, ...o } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new TypeError(`Expected \`threads\` to be an integer ≥ 1, got \`${threads}\``);
    const spec = this.store.threadSpec;
    if (threads > 1 && spec !== undefined) return this.exportInThreads(spec, threads, out, o);
    return exportJsonl(this.scanBatches(o), out, o);
  }

  private async exportInThreads(spec: string, threads: number, out: Writable, o: { onProgress?: (p: ExportProgress) => void; progressEveryMs?: number } & ScanOptions): Promise<ExportReport> {
    const { contents } = await maintainedCounts(this.store);
    return { ...(await writeChunks(threadedChunks(spec, { threads, buckets: this.store.buckets, contents, ...o }), out, o)), threads };
  }

  /** Live pages (not aliases, not deleted), in store order. */
  async *pages(): AsyncIterable<Omit<PageVertex, 'version' | 'deleted'>> {
    for await (const { version: _v, deleted, ...p } of this.store.scanPageVertices()) if (!deleted) yield p;
  }

  /** Image links recorded dead, with their reasons. */
  async *deadLinks(): AsyncIterable<Omit<LinkVertex, 'version'>> {
    for await (const { version: _v, ...l } of this.store.scanLinkVertices()) if (!l.alive) yield l;
  }

  /** The maintained counts (no scan); `exact` recounts by full scans. */
  counts(o: { exact?: boolean } = {}): Promise<RelationCounts> {
    return o.exact ? exactCounts(this.store) : maintainedCounts(this.store);
  }

  /** Retires what the journal says changed; a live or in-flight edge is never deleted. */
  retire(o: RetireOptions = {}): Promise<RetireReport> {
    return retire(this.store, { limit: o.limit ?? Number.POSITIVE_INFINITY, graceMs: o.graceMs ?? 0, orphans: o.orphans ?? this.orphans, now: this.now, ...(o.blobs ? { blobs: o.blobs } : {}), ...(o.indexes ? { indexes: o.indexes } : {}) });
  }

  /** Retires continuously (a deployment's retirement role), every `intervalMs`. */
  startRetirer(o: RetirerOptions): Retirer {
    return startRetirer((opts) => this.retire(opts), o);
  }

  /** A tenant lets go of a content: its thumbnail reference goes, and the blob with its last one. */
  async releaseContent(sign: string, o: { tenant?: string } = {}): Promise<void> {
    const v = await this.store.readContentVertex(check(signSchema, sign, 'content sign'));
    if (v?.thumbnailRef === undefined) return;
    await releaseRefs(this.store, [{ blob: v.thumbnailRef, sign, tenant: o.tenant ?? DEFAULT_TENANT }], this.now());
  }

  /** Visits due before `beforeMs` (default now), earliest first. */
  dueVisits(o: { beforeMs?: number; limit?: number } = {}): Promise<DueVisitState[]> {
    return dueVisits(this.store, { beforeMs: o.beforeMs ?? this.now(), limit: o.limit ?? 10_000 });
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * Validates each item, splits the batch into rounds of distinct keys, plans and applies each
   * holding the round's keys (`lockKeysOf`: also the keys an item's plan reads, default its own).
   */
  private async batch<I, C, R>(
    raws: readonly I[], checkOne: (raw: I) => C, keysOf: (c: C) => readonly string[],
    plan: (items: C[]) => Promise<{ writes: WriteSet; results: R[] }>, lockKeysOf: (c: C) => readonly string[] = keysOf,
  ): Promise<(R | Error)[]> {
    const out: (R | Error)[] = new Array(raws.length);
    const ok: { i: number; c: C }[] = [];
    raws.forEach((raw, i) => {
      try {
        ok.push({ i, c: checkOne(raw) });
      } catch (err) {
        out[i] = err as Error;
      }
    });
    for (const round of rounds(ok, (x) => keysOf(x.c))) {
      const items = round.map((j) => ok[j]!);
      const results = await this.locks.with(items.flatMap((x) => lockKeysOf(x.c)), async () => {
        const planned = await plan(items.map((x) => x.c));
        await this.store.apply(planned.writes);
        return planned.results;
      });
      items.forEach((x, k) => (out[x.i] = results[k]!));
    }
    return out;
  }
}

const pageKey = (url: string): string => `p ${url}`;
const linkKey = (url: string): string => `l ${url}`;
const contentKey = (sign: string): string => `c ${sign}`;

function one<R>(results: readonly (R | Error)[]): R {
  const r = results[0];
  if (r instanceof Error) throw r;
  return r as R;
}

export function createRelationEngine(options: RelationEngineOptions): RelationEngine {
  return new RelationEngine(options);
}
