// The RelationStore port: raw, unvalidated storage of the graph's tables, the churn journal,
// maintained counts, the re-visit schedule and thumbnail references. Validation, versions and
// retirement decisions live in the engine above it; adapters only store, read and scan.
import type {
  ChurnEntry, ContentRecord, ContentVertex, EdgeCopy, FoEdge, LinkRecord, LinkVertex, OcEdge, PageRecord, PageVertex,
} from './model.ts';

export type ContentPatch = Partial<Omit<ContentVertex, 'sign'>>;

/** Deltas to the maintained counts (names are RelationCounts keys). */
export type CountDelta = Record<string, number>;

/** The counts a content earns the first time a write gives it a vertex, features, OCR text. */
export type ContentMilestone = 'contents' | 'contentsWithFeatures' | 'contentsWithOcr';

/** Whether a content vertex (or its absence) still lacks a milestone. */
export function lacks(v: { features?: unknown; ocrText?: string } | undefined, m: ContentMilestone): boolean {
  return m === 'contents' ? v === undefined : m === 'contentsWithFeatures' ? v?.features === undefined : v?.ocrText === undefined;
}

/** Whether a patch gives a milestone (a write always gives the vertex). */
export function gives(patch: ContentPatch, m: ContentMilestone): boolean {
  return m === 'contents' || (m === 'contentsWithFeatures' ? patch.features !== undefined : patch.ocrText !== undefined);
}

/** When a page or image link is due again, and what its change history says. */
export interface VisitState {
  kind: 'page' | 'link';
  url: string;
  /** Crawl depth the page was reached at, and the crawl's depth limit (pages only). */
  depth?: number;
  maxDepth?: number;
  etag?: string;
  lastModified?: string;
  checks: number;
  changes: number;
  intervalMs: number;
  checkedAtMs: number;
  changedAtMs?: number;
  nextVisitAtMs: number;
  /** The last check found the page gone or the link dead. */
  gone?: boolean;
}

/** One reference to a kept blob (a thumbnail): this content, for this tenant. */
export interface BlobRef {
  blob: string;
  sign: string;
  tenant: string;
}

export interface DueVisit {
  kind: 'page' | 'link';
  url: string;
  dueAtMs: number;
}

/**
 * Everything one engine write puts. A store that cannot apply it atomically applies it in this
 * order, each phase complete before the next: journal; edges, contents, blob refs and visits;
 * vertices (the commit); counts.
 */
export interface WriteSet {
  journal?: ChurnEntry[];
  foEdges?: FoEdge[];
  ocEdges?: OcEdge[];
  /**
   * `firsts`: the milestones the planner saw the content lack and this patch gives. They are not
   * in `counts`: the store counts each once per content, for whichever write gives it first, also
   * when writers in several processes race (LMDB checks inside its write transaction; Cassandra
   * claims each with a lightweight transaction).
   */
  contents?: { sign: string; patch: ContentPatch; firsts?: readonly ContentMilestone[] }[];
  blobRefs?: BlobRef[];
  /** Blobs whose last reference went: `sinceMs` starts their grace period. */
  blobOrphans?: { blob: string; sinceMs: number }[];
  /** Upserted with their due index; `prevDueAtMs` names the due entry to drop. */
  visits?: { state: VisitState; prevDueAtMs?: number }[];
  pageVertices?: PageVertex[];
  linkVertices?: LinkVertex[];
  counts?: CountDelta;
}

/** What retirement removes. Edge copies and link vertices go only while at most the version given. */
export interface RemovalSet {
  edges?: EdgeCopy[];
  linkVertices?: { url: string; version: number }[];
  contents?: string[];
  blobRefs?: BlobRef[];
  blobOrphans?: string[];
  visits?: { kind: 'page' | 'link'; url: string; dueAtMs?: number }[];
  journal?: ChurnEntry[];
  counts?: CountDelta;
}

export interface RelationStore {
  /** `embedded` or `cassandra`: for messages and bench labels. */
  readonly kind: string;
  /** Number of C buckets; part of the scan order, fixed when the store is created. */
  readonly buckets: number;
  /** The spec another thread opens this same store by (embedded stores: exports in worker threads). */
  readonly threadSpec?: string;
  /** The longest key the store takes, in bytes: the engine refuses an item whose keys would not fit. */
  readonly maxKeyBytes: number;
  /** The bytes of the longest key the store builds from these ids together. */
  keyBytes(ids: readonly string[]): number;

  readPage(url: string): Promise<PageRecord>;
  readPageVertex(url: string): Promise<PageVertex | undefined>;
  readLink(url: string): Promise<LinkRecord>;
  readLinkVertex(url: string): Promise<LinkVertex | undefined>;
  readContent(sign: string): Promise<ContentRecord>;
  /** The content vertex alone (a hot content may have very many links). */
  readContentVertex(sign: string): Promise<ContentVertex | undefined>;

  /** Batched reads, answers in input order. */
  readPages(urls: readonly string[]): Promise<PageRecord[]>;
  readPageVertices(urls: readonly string[]): Promise<(PageVertex | undefined)[]>;
  readLinks(urls: readonly string[]): Promise<LinkRecord[]>;
  readContentVertices(signs: readonly string[]): Promise<(ContentVertex | undefined)[]>;

  /** Applies one write set (see WriteSet for the order). Content patches merge into the vertex. */
  apply(writes: WriteSet): Promise<void>;
  /** Applies one removal set: edges, vertices and contents, refs, then journal entries. */
  remove(removals: RemovalSet): Promise<void>;

  /** Journal entries recorded before `beforeMs`, oldest first, at most `limit`. */
  readJournal(options: { beforeMs: number; limit: number }): Promise<ChurnEntry[]>;
  readCounts(): Promise<CountDelta>;

  readVisits(keys: readonly { kind: 'page' | 'link'; url: string }[]): Promise<(VisitState | undefined)[]>;
  /** Due entries with `dueAtMs < beforeMs`, earliest first (entries may be stale: check the visit). */
  readDue(options: { beforeMs: number; limit: number }): Promise<DueVisit[]>;

  readBlobRefs(blob: string): Promise<BlobRef[]>;
  /** Blobs orphaned before `beforeMs`, at most `limit`. */
  readBlobOrphans(options: { beforeMs: number; limit: number }): Promise<{ blob: string; sinceMs: number }[]>;

  /** Contents of buckets [fromBucket, toBucket) in scan order (bucket, then sign bytes), in batches. */
  /**
   * `signFrom`/`signTo`: only the signs in [signFrom, signTo) of each bucket, for threads that
   * split a bucket between them (embedded stores; another store refuses them).
   */
  scanContents(options?: { fromBucket?: number; toBucket?: number; batchSize?: number; signFrom?: string; signTo?: string }): AsyncIterable<ContentRecord[]>;
  /** Every stored edge copy, forward and reverse, in no particular order. */
  scanEdges(): AsyncIterable<EdgeCopy>;
  /** Every page / link vertex. */
  scanPageVertices(): AsyncIterable<PageVertex>;
  scanLinkVertices(): AsyncIterable<LinkVertex>;

  close(): Promise<void>;
}
