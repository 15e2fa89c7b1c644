// The f–o–c graph: vertices f (page), o (image link), c (image content) and the edges fo, oc.
// Every edge carries the version its source vertex had when the edge was written. A vertex's
// version write is the commit point of a re-crawl: edges whose version differs from the current
// one are invisible (older: stale, awaiting retirement; newer: a write still in flight).

export interface PageVertex {
  url: string;
  title: string;
  pageType: string;
  contentHash: string;
  finalUrl?: string;
  version: number;
  crawledAtMs: number;
  /** A deleted page keeps a tombstone so its version keeps rising and its edges stay hidden. */
  deleted: boolean;
  /** Set on an alias tombstone: this URL redirects to (or names as canonical) that page. */
  aliasOf?: string;
  /** The other URLs this page was reached under (redirects, canonical links), sorted. */
  aliases?: string[];
}

export interface LinkVertex {
  url: string;
  alive: boolean;
  reason?: string;
  version: number;
  crawledAtMs: number;
}

export interface ContentFeatures {
  width: number;
  height: number;
  format: string;
  clarity: number;
  phash: string;
  dominantColor: string;
}

export interface OcrLine {
  text: string;
  [extra: string]: unknown;
}

export interface ContentVertex {
  sign: string;
  features?: ContentFeatures;
  ocrText?: string;
  ocrLines?: readonly OcrLine[];
  thumbnailRef?: string;
}

/** fo edge: the page shows the link. Stored at F (forward) and at O (reverse, for attribution). */
export interface FoEdge {
  page: string;
  link: string;
  alt: string;
  title: string;
  context: string;
  /** The page's version when the edge was written. */
  fVersion: number;
}

/** oc edge: the link served the content. Stored at O (forward) and at C (reverse). */
export interface OcEdge {
  link: string;
  sign: string;
  crawledAtMs: number;
  /** The link's version when the edge was written. */
  oVersion: number;
}

/** A page partition: the vertex (if written) and every stored fo edge, valid or not. */
export interface PageRecord {
  vertex?: PageVertex;
  edges: FoEdge[];
}

/** A link partition: the vertex, its oc edges and the reverse fo edges (which pages show it). */
export interface LinkRecord {
  vertex?: LinkVertex;
  contents: OcEdge[];
  pages: FoEdge[];
}

/** A content row group: the vertex and the reverse oc edges (which links served it). */
export interface ContentRecord {
  sign: string;
  vertex?: ContentVertex;
  links: OcEdge[];
}

export type EdgeKind = 'fo' | 'of' | 'oc' | 'co';

/** One stored copy of an edge: `from` is the source vertex (page for fo/of, link for oc/co). */
export interface EdgeCopy {
  kind: EdgeKind;
  from: string;
  to: string;
  version: number;
}

/** An edge copy as a full scan sees it. */
export type ScannedEdge = EdgeCopy;

/**
 * A churn journal entry, written before the edges of a vertex write. It names the edge copies
 * the write makes stale (so retirement costs what changed, not the graph's size), and lets
 * retirement find the edges of a write that never committed (a crash before the vertex write).
 */
export interface ChurnEntry {
  kind: 'page' | 'link';
  id: string;
  /** The version this write gives the vertex. */
  version: number;
  /** The version it replaces; absent on a vertex's first write. */
  prevVersion?: number;
  /** Edge targets written at `prevVersion` that this write leaves behind: links of a page, signs of a link. */
  stale: string[];
  recordedAtMs: number;
}

export function isFoLive(edge: { fVersion: number }, page: PageVertex | undefined): boolean {
  return page !== undefined && !page.deleted && edge.fVersion === page.version;
}

export function isOcLive(edge: { oVersion: number }, link: LinkVertex | undefined): boolean {
  return link !== undefined && link.alive && edge.oVersion === link.version;
}

/** Stale = superseded for good; an edge newer than its vertex is an in-flight write, never stale. */
export function isStale(edgeVersion: number, vertexVersion: number | undefined): boolean {
  return vertexVersion !== undefined && edgeVersion < vertexVersion;
}

export const DEFAULT_BUCKETS = 64;
const PREFIX = 16;

/**
 * The C table's partition: an FNV-1a hash of the sign's first 16 characters. Signs are hashes,
 * so the prefix spreads as well as the whole; a scan walks buckets 0..n-1 and signs in byte
 * order inside each, which is the same order on every backend.
 */
export function bucketOf(sign: string, buckets: number): number {
  let h = 0x811c9dc5;
  const prefix = sign.slice(0, PREFIX);
  for (let i = 0; i < prefix.length; i++) {
    h ^= prefix.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % buckets;
}

/** Byte order of UTF-8, as Cassandra's text clustering and LMDB keys compare. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function compareScanOrder(a: string, b: string, buckets: number): number {
  return bucketOf(a, buckets) - bucketOf(b, buckets) || compareUtf8(a, b);
}
