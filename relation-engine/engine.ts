// The RelationEngine: versioned writes and validated reads over any RelationStore.
// A write puts its edges first (tagged with the new version), then the vertex; the vertex write
// is the commit that makes the new edges visible and the old ones stale at once.
import type { Writable } from 'node:stream';
import type { ContentFeatures, OcrLine } from './model.ts';
import type { RelationStore } from './relation-store.ts';
import {
  check, featuresSchema, ocrTextSchema, linkInputSchema, ocrLinesSchema, pageInputSchema, signSchema, urlSchema,
  type LinkInput, type PageInput,
} from './inputs.ts';
import { contentOfLink, imagesOfPage, relate, type ContentRelation, type LinkContent, type PageImages } from './queries.ts';
import { retire, type RetireReport } from './retire.ts';
import { countRelations, type RelationCounts } from './counts.ts';
import { exportJsonl, type ExportProgress, type ExportReport } from './export-jsonl.ts';

export interface RelationEngineOptions {
  store: RelationStore;
  /** Clock for versions; versions are max(previous + 1, now()) so a retry after a crash outranks orphans. */
  now?: () => number;
  /** Point reads in flight per query. */
  concurrency?: number;
}

export interface WriteResult {
  /** False when the write was older than what is stored (a late, out-of-order crawl). */
  applied: boolean;
  version: number;
}

export interface LinkWriteResult extends WriteResult {
  /** The live content before this write, if any. */
  previousSign?: string;
}

export class RelationEngine {
  readonly store: RelationStore;
  private readonly now: () => number;
  private readonly concurrency: number;

  constructor(options: RelationEngineOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.concurrency = options.concurrency ?? 16;
  }

  private nextVersion(prev: number | undefined): number {
    return Math.max((prev ?? 0) + 1, this.now());
  }

  /** Records a crawl of a page and the image links it shows now; links it no longer shows vanish. */
  async upsertPage(raw: PageInput): Promise<WriteResult> {
    const input = check(pageInputSchema, raw, 'page input');
    const prev = await this.store.readPageVertex(input.url);
    if (prev && input.crawledAtMs < prev.crawledAtMs) return { applied: false, version: prev.version };
    const version = this.nextVersion(prev?.version);
    const seen = new Set<string>();
    const edges = input.links.filter((l) => !seen.has(l.url) && seen.add(l.url)).map((l) => ({
      page: input.url, link: l.url, alt: l.alt, title: l.title, context: l.context, fVersion: version,
    }));
    await this.store.writeFoEdges(edges);
    await this.store.writePageVertex({
      url: input.url, title: input.title, pageType: input.pageType, contentHash: input.contentHash,
      ...(input.finalUrl !== undefined ? { finalUrl: input.finalUrl } : {}),
      version, crawledAtMs: input.crawledAtMs, deleted: false,
    });
    return { applied: true, version };
  }

  /** Records a fetch of an image link: dead, alive with a content, or alive with content unknown. */
  async markLink(raw: LinkInput): Promise<LinkWriteResult> {
    const input = check(linkInputSchema, raw, 'link input');
    const rec = await this.store.readLink(input.url);
    const prev = rec.vertex;
    if (prev && input.crawledAtMs < prev.crawledAtMs) return { applied: false, version: prev.version };
    const previous = prev?.alive ? rec.contents.find((e) => e.oVersion === prev.version)?.sign : undefined;
    const prevField = previous !== undefined ? { previousSign: previous } : {};
    if (input.alive && input.contentSign === undefined) {
      // Alive but content not determined: keep whatever relation is live (none if it was dead).
      const version = prev?.version ?? this.nextVersion(undefined);
      await this.store.writeLinkVertex({ url: input.url, alive: true, version, crawledAtMs: input.crawledAtMs });
      return { applied: true, version, ...prevField };
    }
    const version = this.nextVersion(prev?.version);
    if (input.alive && input.contentSign !== undefined) {
      await this.store.mergeContent(input.contentSign, {});
      await this.store.writeOcEdge({ link: input.url, sign: input.contentSign, crawledAtMs: input.crawledAtMs, oVersion: version });
    }
    await this.store.writeLinkVertex({
      url: input.url, alive: input.alive, ...(!input.alive && input.reason !== undefined ? { reason: input.reason } : {}),
      version, crawledAtMs: input.crawledAtMs,
    });
    return { applied: true, version, ...prevField };
  }

  async upsertContent(sign: string, features: ContentFeatures, thumbnailRef?: string): Promise<void> {
    check(signSchema, sign, 'content sign');
    const f = check(featuresSchema, features, 'content features');
    await this.store.mergeContent(sign, { features: f, ...(thumbnailRef !== undefined ? { thumbnailRef } : {}) });
  }

  async setOcr(sign: string, text: string, lines?: readonly OcrLine[]): Promise<void> {
    check(signSchema, sign, 'content sign');
    check(ocrTextSchema, text, 'ocr text');
    const l = lines === undefined ? undefined : check(ocrLinesSchema, lines, 'ocr lines');
    await this.store.mergeContent(sign, { ocrText: text, ...(l !== undefined ? { ocrLines: l } : {}) });
  }

  /** Hides the page and every edge it had; returns false if there was no such page. */
  async deletePage(url: string): Promise<boolean> {
    check(urlSchema, url, 'page url');
    const prev = await this.store.readPageVertex(url);
    if (!prev || prev.deleted) return false;
    await this.store.writePageVertex({ ...prev, version: this.nextVersion(prev.version), deleted: true });
    return true;
  }

  imagesOfPage(url: string): Promise<PageImages | undefined> {
    return imagesOfPage(this.store, check(urlSchema, url, 'page url'), this.concurrency);
  }

  contentOfLink(url: string): Promise<LinkContent | undefined> {
    return contentOfLink(this.store, check(urlSchema, url, 'link url'));
  }

  async sourcesOfContent(sign: string): Promise<ContentRelation | undefined> {
    return relate(this.store, await this.store.readContent(check(signSchema, sign, 'content sign')), this.concurrency);
  }

  /** Every content in a stable order (bucket, then sign) with its whole validated relation. */
  async *scan(): AsyncIterable<ContentRelation> {
    // Resolve a window of contents ahead, so point reads overlap while the caller consumes.
    const window: Promise<ContentRelation | undefined>[] = [];
    for await (const rec of this.store.scanContents()) {
      window.push(relate(this.store, rec, 4));
      if (window.length >= this.concurrency) {
        const r = await window.shift();
        if (r) yield r;
      }
    }
    for (const p of window) {
      const r = await p;
      if (r) yield r;
    }
  }

  exportJsonl(out: Writable, options: { onProgress?: (p: ExportProgress) => void } = {}): Promise<ExportReport> {
    return exportJsonl(this.scan(), out, options);
  }

  counts(): Promise<RelationCounts> {
    return countRelations(this.store);
  }

  async pageContentHash(url: string): Promise<string | undefined> {
    const v = await this.store.readPageVertex(check(urlSchema, url, 'page url'));
    return v && !v.deleted ? v.contentHash : undefined;
  }

  async contentHasFeatures(sign: string): Promise<boolean> {
    const v = await this.store.readContentVertex(check(signSchema, sign, 'content sign'));
    return v?.features !== undefined;
  }

  /** Deletes stale edge copies (at most `limit`); a live or in-flight edge is never deleted. */
  retire(options: { limit?: number } = {}): Promise<RetireReport> {
    return retire(this.store, { limit: options.limit ?? Number.POSITIVE_INFINITY, concurrency: this.concurrency });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export function createRelationEngine(options: RelationEngineOptions): RelationEngine {
  return new RelationEngine(options);
}
