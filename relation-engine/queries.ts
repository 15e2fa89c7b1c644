// Validated reads: every edge is checked against its source vertex's current version, so a
// stale edge (superseded, dead link, deleted page) never reaches a caller.
import type { ContentFeatures, ContentRecord, ContentVertex, FoEdge, OcrLine, PageVertex } from './model.ts';
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
  page: Omit<PageVertex, 'version' | 'deleted'>;
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

export async function imagesOfPage(store: RelationStore, url: string, concurrency: number): Promise<PageImages | undefined> {
  const rec = await store.readPage(url);
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
  const { version: _v, deleted: _d, ...page } = v;
  return { page, images };
}

export async function contentOfLink(store: RelationStore, url: string): Promise<LinkContent | undefined> {
  const rec = await store.readLink(url);
  const v = rec.vertex;
  if (!v) return undefined;
  const edge = rec.contents.find((e) => isOcLive(e, v));
  return {
    url, alive: v.alive, ...(v.reason !== undefined ? { reason: v.reason } : {}), crawledAtMs: v.crawledAtMs,
    ...(edge ? { content: { sign: edge.sign, crawledAtMs: edge.crawledAtMs } } : {}),
  };
}

/** Resolves a content record (vertex + reverse oc edges) into its validated relation. */
export async function relate(
  store: RelationStore, rec: ContentRecord, concurrency: number,
  pageCache = new Map<string, Promise<PageVertex | undefined>>(),
): Promise<ContentRelation | undefined> {
  if (!rec.vertex) return undefined;
  const links = await mapLimit(rec.links, concurrency, async (e) => {
    const lr = await store.readLink(e.link);
    if (!isOcLive(e, lr.vertex)) return undefined;
    // The reverse edge must match the link's own forward edge, which the vertex commits.
    if (!lr.contents.some((f) => f.sign === rec.sign && f.oVersion === e.oVersion)) return undefined;
    const pages = await mapLimit(lr.pages, concurrency, async (fe) => sourcePage(store, fe, pageCache));
    return { url: e.link, crawledAtMs: e.crawledAtMs, pages: pages.filter((p) => p !== undefined).sort(byUrl) };
  });
  return { ...vertexFields(rec.vertex), links: links.filter((l) => l !== undefined).sort(byUrl) };
}

async function sourcePage(store: RelationStore, e: FoEdge, cache: Map<string, Promise<PageVertex | undefined>>): Promise<SourcePage | undefined> {
  let p = cache.get(e.page);
  if (!p) {
    p = store.readPageVertex(e.page);
    cache.set(e.page, p);
  }
  const v = await p;
  if (!v || !isFoLive(e, v)) return undefined;
  return { url: e.page, pageTitle: v.title, pageType: v.pageType, alt: e.alt, title: e.title, context: e.context };
}

function vertexFields(v: ContentVertex): Omit<ContentRelation, 'links'> {
  return {
    sign: v.sign,
    ...(v.features ? { features: v.features } : {}),
    ...(v.ocrText !== undefined ? { ocrText: v.ocrText } : {}),
    ...(v.ocrLines !== undefined ? { ocrLines: v.ocrLines } : {}),
    ...(v.thumbnailRef !== undefined ? { thumbnailRef: v.thumbnailRef } : {}),
  };
}
