/**
 * The relation engine: the versioned f–o–c graph (page — image link — image content) that stays
 * correct while the web churns. Writes are batched and tag edges with their source vertex's
 * version; reads hide edges whose version is not current; a churn journal records what each
 * write leaves behind, so `retire()` costs what changed. Pages and links carry a re-visit
 * schedule learnt from their change history. Stores: LMDB (embedded) and Cassandra.
 *
 *   const engine = createRelationEngine({ store: await openRelationStore('embedded:.quarry/relations') });
 *   await engine.upsertPages([{ url, title, pageType: 'article', contentHash, crawledAtMs: Date.now(),
 *     links: [{ url: imgUrl, alt: 'a cat', title: '', context: '…' }] }]);
 *   await engine.markLinks([{ url: imgUrl, alive: true, contentSign: 'ab12…', crawledAtMs: Date.now() }]);
 *   await engine.imagesOfPage(url);          // links with their live contents
 *   for await (const c of engine.scan()) {}  // every content with its links and pages
 *   await engine.retire({ blobs, indexes }); // retire what changed, orphaned thumbnails and index entries
 */
export { RelationEngine, createRelationEngine } from './engine.ts';
export type { RelationEngineOptions, WriteResult, LinkWriteResult } from './engine.ts';
export type { PageInput, LinkInput, VisitCheck } from './inputs.ts';
export type {
  ContentRelation, LinkContent, PageImage, PageImages, SourceLink, SourcePage,
} from './queries.ts';
export type { ContentIndexSink, RetireOptions, RetireReport } from './retire.ts';
export type { Retirer, RetirerOptions } from './retirer.ts';
export type { RelationCounts } from './counts.ts';
export type { ExportProgress, ExportReport } from './export-jsonl.ts';
export type { ScanOptions } from './scan.ts';
export type { BlobDeleter, ContentWrite } from './write-contents.ts';
export { DEFAULT_SCHEDULE, nextVisit, type DueVisitState, type SchedulePolicy, type ScheduleBounds, type VisitOutcome } from './schedule.ts';
export type {
  ChurnEntry, ContentFeatures, ContentRecord, ContentVertex, EdgeCopy, EdgeKind, FoEdge, LinkRecord, LinkVertex, OcEdge, OcrLine,
  PageRecord, PageVertex, ScannedEdge,
} from './model.ts';
export { bucketOf, compareScanOrder, DEFAULT_BUCKETS } from './model.ts';
export { mapLimit } from './internal/limiter.ts';
export type { BlobRef, ContentPatch, CountDelta, DueVisit, RelationStore, RemovalSet, VisitState, WriteSet } from './relation-store.ts';
export { openRelationStore, parseStoreSpec, type StoreSpec, type OpenStoreOptions } from './open-store.ts';
export { openLmdbStore, type LmdbStoreOptions } from './internal/lmdb-store.ts';
export { openCassandraStore, CassandraStore, type CassandraStoreOptions, type Consistency } from './internal/cassandra-store.ts';
