/**
 * The relation engine: the versioned f–o–c graph (page — image link — image content) that stays
 * correct while the web churns. Writes tag edges with their source vertex's version; reads hide
 * edges whose version is not current; `retire()` deletes stale edges later. Stores: LMDB
 * (embedded, survives restarts) and Cassandra.
 *
 *   const engine = createRelationEngine({ store: await openRelationStore('embedded:.quarry/relations') });
 *   await engine.upsertPage({ url, title, pageType: 'article', contentHash, crawledAtMs: Date.now(),
 *     links: [{ url: imgUrl, alt: 'a cat', title: '', context: '…' }] });
 *   await engine.markLink({ url: imgUrl, alive: true, contentSign: 'ab12…', crawledAtMs: Date.now() });
 *   await engine.imagesOfPage(url);          // links with their live contents
 *   for await (const c of engine.scan()) {}  // every content with its links and pages
 */
export { RelationEngine, createRelationEngine } from './engine.ts';
export type { RelationEngineOptions, WriteResult, LinkWriteResult } from './engine.ts';
export type { PageInput, LinkInput } from './inputs.ts';
export type {
  ContentRelation, LinkContent, PageImage, PageImages, SourceLink, SourcePage,
} from './queries.ts';
export type { RetireReport } from './retire.ts';
export type { RelationCounts } from './counts.ts';
export type { ExportProgress, ExportReport } from './export-jsonl.ts';
export type {
  ContentFeatures, ContentRecord, ContentVertex, EdgeKind, FoEdge, LinkRecord, LinkVertex, OcEdge, OcrLine,
  PageRecord, PageVertex, ScannedEdge,
} from './model.ts';
export { bucketOf, compareScanOrder, DEFAULT_BUCKETS } from './model.ts';
export { mapLimit } from './internal/limiter.ts';
export type { ContentPatch, RelationStore } from './relation-store.ts';
export { openRelationStore, parseStoreSpec, type StoreSpec } from './open-store.ts';
export { openLmdbStore, type LmdbStoreOptions } from './internal/lmdb-store.ts';
export { openCassandraStore, CassandraStore, type CassandraStoreOptions, type Consistency } from './internal/cassandra-store.ts';
