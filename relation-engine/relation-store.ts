// The RelationStore port: raw, unvalidated storage of the three tables. Validation, versions and
// retirement decisions live in the engine above it; adapters only store, read and scan.
import type {
  ContentRecord, ContentVertex, FoEdge, LinkRecord, LinkVertex, OcEdge, PageRecord, PageVertex, ScannedEdge,
} from './model.ts';

export type ContentPatch = Partial<Omit<ContentVertex, 'sign'>>;

export interface RelationStore {
  /** `embedded` or `cassandra`: for messages and bench labels. */
  readonly kind: string;
  /** Number of C buckets; part of the scan order, fixed when the store is created. */
  readonly buckets: number;

  readPage(url: string): Promise<PageRecord>;
  readPageVertex(url: string): Promise<PageVertex | undefined>;
  readLink(url: string): Promise<LinkRecord>;
  readLinkVertex(url: string): Promise<LinkVertex | undefined>;
  readContent(sign: string): Promise<ContentRecord>;
  /** The content vertex alone (a hot content may have very many links). */
  readContentVertex(sign: string): Promise<ContentVertex | undefined>;

  writePageVertex(vertex: PageVertex): Promise<void>;
  writeLinkVertex(vertex: LinkVertex): Promise<void>;
  /** Merge the given fields into the content vertex, creating it if absent. */
  mergeContent(sign: string, patch: ContentPatch): Promise<void>;
  /** Write fo edges, forward (F) and reverse (O). Idempotent. */
  writeFoEdges(edges: readonly FoEdge[]): Promise<void>;
  /** Write an oc edge, forward (O) and reverse (C). Idempotent. */
  writeOcEdge(edge: OcEdge): Promise<void>;

  /** Every content in scan order (bucket, then sign bytes), with its reverse oc edges. */
  scanContents(options?: { fetchSize?: number }): AsyncIterable<ContentRecord>;
  /** Every stored edge copy, forward and reverse, in no particular order. */
  scanEdges(): AsyncIterable<ScannedEdge>;
  /** Every page / link vertex (for counts). */
  scanPageVertices(): AsyncIterable<PageVertex>;
  scanLinkVertices(): AsyncIterable<LinkVertex>;
  /**
   * Delete one edge copy only if it is still the write the scan saw (a rewrite since then, e.g.
   * a re-crawl restoring the edge, must survive). Returns whether it deleted.
   */
  deleteEdgeIfUnchanged(edge: ScannedEdge): Promise<boolean>;

  close(): Promise<void>;
}
