// Validated reads: every edge is checked against its source vertex's current version, so a
// stale edge (superseded, dead link, deleted page) never reaches a caller. Contents resolve in
// batches: one batched read of their links, one of the pages not yet cached.
import type { ContentFeatures, ContentRecord, ContentVertex, LinkRecord, OcrLine, PageVertex } from './model.ts';
import { compareUtf8, isFoLive, isOcLive } from './model.ts';
import type { RelationStore } from './relation-store.ts';
import { mapLimit } from './internal/limiter.ts';

export interface PageImage {
  url: string;
  alt: string;
  title: string;
  context: string;
  /** The link's crawl state; absent while the link has not been fetched. */
  link?: { alive: boolean; reason?: string; crawledAtMs: number };
  /** The content the link serves now; absent if dead, unfetched or unknown. */
  content?: { sign: string; crawledAtMs: number };
}

export interface PageImages {
  page: Omit<PageVertex, 'version' | 'deleted' | 'aliasOf'>;
  images: PageImage[];
}

export interface LinkContent {
  url: string;
  alive: boolean;
  reason?: string;
  crawledAtMs: number;
  content?: { sign: string; crawledAtMs: number };
}

export interface SourcePage {
  url: string;
  pageTitle: string;
  pageType: string;
  alt: string;
  title: string;
  context: string;
}

export interface SourceLink {
  url: string;
  crawledAtMs: number;
  pages: SourcePage[];
}

/** A content with its whole relation: which links served it, and which pages showed them. */
export interface ContentRelation {
  sign: string;
  features?: ContentFeatures;
  ocrText?: string;
  ocrLines?: readonly OcrLine[];
  thumbnailRef?: string;
  links: SourceLink[];
}

const byUrl = (a: { url: string }, b: { url: string }) => compareUtf8(a.url, b.url);

const MAX_ALIAS_HOPS = 5;

/** The page a URL names: itself, or the page it is an alias of (a moved page's alias may chain). */
export async function resolvePage(store: RelationStore, url: string): Promise<PageVertex | undefined> {
  let v = await store.readPageVertex(url);
  for (let hop = 0; v?.aliasOf !== undefined && hop < MAX_ALIAS_HOPS; hop++) v = await store.readPageVertex(v.aliasOf);
  return v;
}

export async function imagesOfPage(store: RelationStore, url: string, concurrency: number): Promise<PageImages | undefined> {
  const target = await resolvePage(store, url);
  const rec = await store.readPage(target?.url ?? url);
  const v = rec.vertex;
  if (!v || v.deleted) return undefined;
  const live = rec.edges.filter((e) => isFoLive(e, v)).sort((a, b) => compareUtf8(a.link, b.link));
  const images = await mapLimit(live, concurrency, async (e): Promise<PageImage> => {
    const lc = await contentOfLink(store, e.link);
    return {
      url: e.link, alt: e.alt, title: e.title, context: e.context,
      ...(lc ? { link: { alive: lc.alive, ...(lc.reason !== undefined ? { reason: lc.reason } : {}), crawledAtMs: lc.crawledAtMs } } : {}),
      ...(lc?.content ? { content: lc.content } : {}),
    };
  });
  const { version: _v, deleted: _d, aliasOf: _a, ...page } = v;
  return { page, images };
}

export function linkContent(url: string, rec: LinkRecord): LinkContent | undefined {
  const v = rec.vertex;
  if (!v) return undefined;
  const edge = rec.contents.find((e) => isOcLive(e, v));
  return {
    url, alive: v.alive, ...(v.reason !== undefined ? { reason: v.reason } : {}), crawledAtMs: v.crawledAtMs,
    ...(edge ? { content: { sign: edge.sign, crawledAtMs: edge.crawledAtMs } } : {}),
  };
}

export async function contentOfLink(store: RelationStore, url: string): Promise<LinkContent | undefined> {
  return linkContent(url, await store.readLink(url));
}

/** A bounded cache of page vertices shared across the batches of one scan. */
export class PageCache {
  private readonly map = new Map<string, PageVertex | undefined>();
  constructor(private readonly max = 100_000) {}
  has(url: string): boolean {
    return this.map.has(url);
  }
  get(url: string): PageVertex | undefined {
    return this.map.get(url);
  }
  set(url: string, v: PageVertex | undefined): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    this.map.set(url, v);
  }
}

/** Resolves content records (vertex + reverse oc edges) into their validated relations, in order. */
export async function relateMany(store: RelationStore, recs: readonly ContentRecord[], pages: PageCache = new PageCache()): Promise<(ContentRelation | undefined)[]> {
  const linkSet = new Set<string>();
  for (const r of recs) if (r.vertex) for (const e of r.links) linkSet.add(e.link);
  const linkUrls = [...linkSet];
  const linkRecs = new Map<string, LinkRecord>();
  const read = await store.readLinks(linkUrls);
  const missingSet = new Set<string>();
  for (let i = 0; i < linkUrls.length; i++) {
    const l = read[i]!;
    linkRecs.set(linkUrls[i]!, l);
    for (const p of l.pages) if (!pages.has(p.page)) missingSet.add(p.page);
  }
  const missing = [...missingSet];
  if (missing.length > 0) (await store.readPageVertices(missing)).forEach((v, i) => pages.set(missing[i]!, v));
  return recs.map((rec) => {
    if (!rec.vertex) return undefined;
    const links: SourceLink[] = [];
    for (const e of rec.links) {
      const lr = linkRecs.get(e.link)!;
      if (!isOcLive(e, lr.vertex)) continue;
      // The reverse edge must match the link's own forward edge, which the vertex commits.
      if (!lr.contents.some((f) => f.sign === rec.sign && f.oVersion === e.oVersion)) continue;
      const sources: SourcePage[] = [];
      for (const fe of lr.pages) {
        const v = pages.get(fe.page);
        if (v && isFoLive(fe, v)) sources.push({ url: fe.page, pageTitle: v.title, pageType: v.pageType, alt: fe.alt, title: fe.title, context: fe.context });
      }
      if (sources.length > 1) sources.sort(byUrl);
      links.push({ url: e.link, crawledAtMs: e.crawledAtMs, pages: sources });
    }
    if (links.length > 1) links.sort(byUrl);
    return withLinks(rec.vertex, links);
  });
}

export async function relate(store: RelationStore, rec: ContentRecord): Promise<ContentRelation | undefined> {
  return (await relateMany(store, [rec]))[0];
}

/** The vertex's fields, then its links: the key order of an exported line. */
function withLinks(v: ContentVertex, links: SourceLink[]): ContentRelation {
  const out: Partial<ContentRelation> = { sign: v.sign };
  if (v.features) out.features = v.features;
  if (v.ocrText !== undefined) out.ocrText = v.ocrText;
  if (v.ocrLines !== undefined) out.ocrLines = v.ocrLines;
  if (v.thumbnailRef !== undefined) out.thumbnailRef = v.thumbnailRef;
  out.links = links;
  return out as ContentRelation;
}
