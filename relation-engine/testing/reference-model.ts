// The meaning of the relation graph with no versions, no edges and no stores: what each query
// should answer after a sequence of writes. The property test holds every backend to it.
import { compareScanOrder, compareUtf8 } from '../model.ts';
import type { ContentFeatures, ContentVertex, OcrLine } from '../model.ts';
import type { ContentRelation, LinkContent, PageImages } from '../queries.ts';
import type { RelationCounts } from '../counts.ts';

interface Page {
  title: string; pageType: string; contentHash: string; finalUrl?: string; crawledAtMs: number; deleted: boolean;
  links: Map<string, { alt: string; title: string; context: string }>;
}
interface Link { alive: boolean; reason?: string; crawledAtMs: number; content?: { sign: string; crawledAtMs: number } }

export interface ModelPageInput {
  url: string; title: string; pageType: string; contentHash: string; crawledAtMs: number;
  links: { url: string; alt: string; title: string; context: string }[];
}

export class ReferenceModel {
  private readonly pages = new Map<string, Page>();
  private readonly links = new Map<string, Link>();
  private readonly contents = new Map<string, ContentVertex>();
  constructor(private readonly buckets: number) {}

  upsertPage(i: ModelPageInput): boolean {
    const prev = this.pages.get(i.url);
    if (prev && i.crawledAtMs < prev.crawledAtMs) return false;
    const links = new Map<string, { alt: string; title: string; context: string }>();
    for (const l of i.links) if (!links.has(l.url)) links.set(l.url, { alt: l.alt, title: l.title, context: l.context });
    this.pages.set(i.url, { title: i.title, pageType: i.pageType, contentHash: i.contentHash, crawledAtMs: i.crawledAtMs, deleted: false, links });
    return true;
  }

  markLink(i: { url: string; alive: boolean; reason?: string; contentSign?: string; crawledAtMs: number }): boolean {
    const prev = this.links.get(i.url);
    if (prev && i.crawledAtMs < prev.crawledAtMs) return false;
    if (!i.alive) {
      this.links.set(i.url, { alive: false, ...(i.reason !== undefined ? { reason: i.reason } : {}), crawledAtMs: i.crawledAtMs });
    } else if (i.contentSign === undefined) {
      const keep = prev?.alive ? prev.content : undefined;
      this.links.set(i.url, { alive: true, crawledAtMs: i.crawledAtMs, ...(keep ? { content: keep } : {}) });
    } else {
      if (!this.contents.has(i.contentSign)) this.contents.set(i.contentSign, { sign: i.contentSign });
      this.links.set(i.url, { alive: true, crawledAtMs: i.crawledAtMs, content: { sign: i.contentSign, crawledAtMs: i.crawledAtMs } });
    }
    return true;
  }

  upsertContent(sign: string, features: ContentFeatures, thumbnailRef?: string): void {
    const c = this.contents.get(sign) ?? { sign };
    this.contents.set(sign, { ...c, features, ...(thumbnailRef !== undefined ? { thumbnailRef } : {}) });
  }

  setOcr(sign: string, text: string, lines?: readonly OcrLine[]): void {
    const c = this.contents.get(sign) ?? { sign };
    this.contents.set(sign, { ...c, ocrText: text, ...(lines !== undefined ? { ocrLines: lines } : {}) });
  }

  deletePage(url: string): boolean {
    const p = this.pages.get(url);
    if (!p || p.deleted) return false;
    p.deleted = true;
    return true;
  }

  imagesOfPage(url: string): PageImages | undefined {
    const p = this.pages.get(url);
    if (!p || p.deleted) return undefined;
    const images = [...p.links].sort(([a], [b]) => compareUtf8(a, b)).map(([link, fo]) => {
      const lc = this.contentOfLink(link);
      return {
        url: link, ...fo,
        ...(lc ? { link: { alive: lc.alive, ...(lc.reason !== undefined ? { reason: lc.reason } : {}), crawledAtMs: lc.crawledAtMs } } : {}),
        ...(lc?.content ? { content: lc.content } : {}),
      };
    });
    const page = { url, title: p.title, pageType: p.pageType, contentHash: p.contentHash, ...(p.finalUrl ? { finalUrl: p.finalUrl } : {}), crawledAtMs: p.crawledAtMs };
    return { page, images };
  }

  contentOfLink(url: string): LinkContent | undefined {
    const l = this.links.get(url);
    if (!l) return undefined;
    return { url, alive: l.alive, ...(l.reason !== undefined ? { reason: l.reason } : {}), crawledAtMs: l.crawledAtMs, ...(l.alive && l.content ? { content: l.content } : {}) };
  }

  sourcesOfContent(sign: string): ContentRelation | undefined {
    const c = this.contents.get(sign);
    if (!c) return undefined;
    const links = [...this.links].filter(([, l]) => l.alive && l.content?.sign === sign)
      .sort(([a], [b]) => compareUtf8(a, b))
      .map(([url, l]) => ({
        url, crawledAtMs: l.content!.crawledAtMs,
        pages: [...this.pages].filter(([, p]) => !p.deleted && p.links.has(url)).sort(([a], [b]) => compareUtf8(a, b))
          .map(([pageUrl, p]) => ({ url: pageUrl, pageTitle: p.title, pageType: p.pageType, ...p.links.get(url)! })),
      }));
    return { ...c, links };
  }

  scan(): ContentRelation[] {
    return [...this.contents.keys()].sort((a, b) => compareScanOrder(a, b, this.buckets)).map((s) => this.sourcesOfContent(s)!);
  }

  pageContentHash(url: string): string | undefined {
    const p = this.pages.get(url);
    return p && !p.deleted ? p.contentHash : undefined;
  }

  contentHasFeatures(sign: string): boolean {
    return this.contents.get(sign)?.features !== undefined;
  }

  counts(): Omit<RelationCounts, 'staleEdgeCopies'> {
    const pages = [...this.pages.values()];
    const links = [...this.links.values()];
    const contents = [...this.contents.values()];
    return {
      pages: pages.filter((p) => !p.deleted).length,
      deletedPages: pages.filter((p) => p.deleted).length,
      aliasPages: 0,
      links: links.length,
      aliveLinks: links.filter((l) => l.alive).length,
      deadLinks: links.filter((l) => !l.alive).length,
      contents: contents.length,
      contentsWithFeatures: contents.filter((c) => c.features).length,
      contentsWithOcr: contents.filter((c) => c.ocrText !== undefined).length,
      foEdges: pages.filter((p) => !p.deleted).reduce((n, p) => n + p.links.size, 0),
      ocEdges: links.filter((l) => l.alive && l.content).length,
    };
  }
}
