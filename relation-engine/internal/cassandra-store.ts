// The Cassandra RelationStore: prepared, idempotent statements grouped into unlogged batches by
// partition, through a bounded-concurrency gate; batched reads with IN; configurable
// consistency; schema created/migrated on open (`lazy`: on first use, retried while unreachable).
import cassandra from 'cassandra-driver';
import type {
  ChurnEntry, ContentRecord, ContentVertex, EdgeCopy, LinkRecord, LinkVertex, PageRecord, PageVertex,
} from '../model.ts';
import { bucketOf, DEFAULT_BUCKETS } from '../model.ts';
import type { BlobRef, CountDelta, DueVisit, RelationStore, RemovalSet, VisitState, WriteSet } from '../relation-store.ts';
import { keyspaceExists, migrate } from './cassandra-schema.ts';
import { num, toContent, toFo, toLinkVertex, toOc, toPageVertex } from './cassandra-rows.ts';
import { createLimiter, type Limiter } from './limiter.ts';
import { Q, type Queries } from './cassandra-queries.ts';
import { everyNodeHoldsAll, executeGrouped, SHARED_PARTITIONS, SPREAD_PARTITIONS, type Stmt } from './cassandra-batch.ts';
import { ORPHAN_SHARDS, removalStatements, writeStatements } from './cassandra-writes.ts';
import { SlotQueues } from './cassandra-slots.ts';
import { CassandraCounts } from './cassandra-counts.ts';
import { checkBuckets, StoreMissingError } from './store-errors.ts';
import { mergeUnordered, tokenRanges } from './token-ranges.ts';

export type Consistency = 'one' | 'localOne' | 'quorum' | 'localQuorum' | 'all' | 'eachQuorum';

export interface CassandraStoreOptions {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  replication?: Record<string, string | number>;
  /** C buckets of a new keyspace (a setting of the keyspace: an existing one keeps its own). */
  buckets?: number;
  readConsistency?: Consistency;
  writeConsistency?: Consistency;
  /** Requests in flight at once from this store. */
  concurrency?: number;
  fetchSize?: number;
  /** Fail with STORE_MISSING instead of creating a keyspace that does not exist. */
  mustExist?: boolean;
  /**
   * Where to reach a node the cluster names (`host:port` → `host:port`): for nodes behind NAT or
   * a proxy, whose own addresses the client cannot reach (the driver's address translation).
   */
  translateAddress?: (endpoint: string) => string;
}

function newClient(options: CassandraStoreOptions): cassandra.Client {
  return new cassandra.Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    socketOptions: { connectTimeout: 5000, readTimeout: 30_000 },
    // Two connections to the local node: the writes of a batch go out on both (as benchmarked).
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 2 } },
    policies: {
      // Reconnect every second while a node is down, not on an exponential schedule up to 10 min.
      reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(1000),
      ...(options.translateAddress ? { addressResolution: translator(options.translateAddress) as unknown as cassandra.policies.addressResolution.AddressTranslator } : {}),
    },
  });
}

/** Connects (or retries connecting) `client` and opens the store on it. */
async function connectStore(client: cassandra.Client, options: CassandraStoreOptions): Promise<CassandraStore> {
  try {
    await client.connect();
    if (options.mustExist && !(await keyspaceExists(client, options.keyspace))) {
      throw new StoreMissingError(`cassandra:${options.contactPoints.join(',')}/${options.keyspace}`, `keyspace ${options.keyspace}`);
    }
    const meta = await migrate(client, {
      keyspace: options.keyspace,
      replication: options.replication ?? { class: 'SimpleStrategy', replication_factor: 1 },
      buckets: options.buckets ?? DEFAULT_BUCKETS,
      now: Date.now(),
    });
    return new CassandraStore(client, options, meta.buckets);
  } catch (err) {
    if (err instanceof StoreMissingError) throw err;
    throw new Error(`Cannot reach Cassandra at ${options.contactPoints.join(',')} (dc ${options.localDataCenter}): ${(err as Error).message}`, { cause: err });
  }
}

export async function openCassandraStore(options: CassandraStoreOptions): Promise<CassandraStore> {
  if (options.buckets !== undefined) checkBuckets(options.buckets, 1 << 20);
  const client = newClient(options);
  try {
    return await connectStore(client, options);
  } catch (err) {
    await client.shutdown().catch(() => undefined);
    throw err;
  }
}

type Translator = { translate(address: string, port: number, callback: (endpoint: string) => void): void };

function translator(map: (endpoint: string) => string): Translator {
  // The driver's own base class (its typings do not name it).
  const Base = (cassandra.policies.addressResolution as unknown as { AddressTranslator: new () => Translator }).AddressTranslator;
  const t = new Base();
  t.translate = (address, port, callback) => callback(map(`${address}:${port}`));
  return t;
}

type Params = unknown[];
const IN_CHUNK = 64;
/** Full-table scans: the token ring in this many ranges, this many read at once. */
const SCAN_RANGES = 32;
const SCAN_PARALLEL = 8;
const RANGES = tokenRanges(SCAN_RANGES);

/** Cassandra's limit on one key component (a partition or clustering key value): 64 KiB. */
export const CASSANDRA_MAX_KEY_BYTES = 65_535;
/** Every id is a key component of its own: the longest one counts. */
export const cassandraKeyBytes = (ids: readonly string[]): number => Math.max(0, ...ids.map((id) => Buffer.byteLength(id, 'utf8')));

export class CassandraStore implements RelationStore {
  readonly kind = 'cassandra';
  readonly maxKeyBytes = CASSANDRA_MAX_KEY_BYTES;
  readonly keyBytes = cassandraKeyBytes;
  private readonly limit: Limiter;
  private readonly read: cassandra.QueryOptions;
  private readonly write: cassandra.QueryOptions;
  private readonly q: Queries;
  private readonly slots: SlotQueues;
  private readonly counts: CassandraCounts;

  constructor(private readonly client: cassandra.Client, private readonly options: CassandraStoreOptions, readonly buckets: number) {
    const cl = cassandra.types.consistencies;
    this.limit = createLimiter(options.concurrency ?? 32);
    this.read = { prepare: true, consistency: cl[options.readConsistency ?? 'localQuorum'] };
    this.write = { prepare: true, isIdempotent: true, consistency: cl[options.writeConsistency ?? 'localQuorum'] };
    this.q = Q(options.keyspace);
    this.counts = new CassandraCounts(client, this.limit, this.q, buckets, this.write);
    this.slots = new SlotQueues((query, params) => this.exec(query, params, this.read), this.q, (stmts) => this.run(stmts));
  }

  private exec(query: string, params: Params, opts: cassandra.QueryOptions): Promise<cassandra.types.ResultSet> {
    return this.limit(() => this.client.execute(query, params, opts));
  }

  private run(stmts: readonly Stmt[]): Promise<void> {
    const partitions = everyNodeHoldsAll(this.client, this.options.keyspace) ? SHARED_PARTITIONS : SPREAD_PARTITIONS;
    return executeGrouped(this.client, this.limit, stmts, this.write, partitions);
  }

  /** Every row of a query, a page at a time. */
  private async *pages(query: string, params: Params, fetchSize = this.options.fetchSize ?? 1000): AsyncIterable<cassandra.types.Row[]> {
    let pageState: string | undefined;
    do {
      const rs = await this.exec(query, params, { ...this.read, fetchSize, ...(pageState ? { pageState } : {}) });
      yield rs.rows;
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }

  private async *rows(query: string, params: Params, fetchSize?: number): AsyncIterable<cassandra.types.Row> {
    for await (const page of this.pages(query, params, fetchSize)) yield* page;
  }

  /** Every row of a whole-table scan (`query` takes a token range), ranges read in parallel, in no order. */
  private async *scanTable(query: string): AsyncIterable<cassandra.types.Row> {
    const sources = RANGES.map(([lo, hi]) => () => this.pages(query, [lo, hi], 5000));
    for await (const page of mergeUnordered(sources, SCAN_PARALLEL)) yield* page;
  }

  private async allRows(query: string, params: Params): Promise<cassandra.types.Row[]> {
    const out: cassandra.types.Row[] = [];
    for await (const r of this.rows(query, params)) out.push(r);
    return out;
  }

  /** Runs `read` over chunks of distinct keys at once; answers keep the input order. */
  private async inChunks<T>(keys: readonly string[], read: (chunk: string[]) => Promise<Map<string, T>>, empty: () => T): Promise<T[]> {
    const distinct = [...new Set(keys)];
    const chunks: string[][] = [];
    for (let i = 0; i < distinct.length; i += IN_CHUNK) chunks.push(distinct.slice(i, i + IN_CHUNK));
    const found = new Map<string, T>();
    for (const m of await Promise.all(chunks.map(read))) for (const [k, v] of m) found.set(k, v);
    return keys.map((k) => found.get(k) ?? empty());
  }

  async readPage(url: string): Promise<PageRecord> {
    return (await this.readPages([url]))[0]!;
  }

  async readPageVertex(url: string): Promise<PageVertex | undefined> {
    const r = (await this.exec(this.q.readPageVertex, [url], this.read)).first();
    return r ? toPageVertex(url, r) : undefined;
  }

  async readLink(url: string): Promise<LinkRecord> {
    return (await this.readLinks([url]))[0]!;
  }

  async readLinkVertex(url: string): Promise<LinkVertex | undefined> {
    const r = (await this.exec(this.q.readLinkVertex, [url], this.read)).first();
    return r ? toLinkVertex(url, r) : undefined;
  }

  async readContent(sign: string): Promise<ContentRecord> {
    const rec: ContentRecord = { sign, links: [] };
    for await (const r of this.rows(this.q.readContent, [bucketOf(sign, this.buckets), sign])) {
      if (r['link'] === '') rec.vertex = toContent(sign, r);
      else rec.links.push(toOc(String(r['link']), sign, r['o_version'], r));
    }
    return rec;
  }

  async readContentVertex(sign: string): Promise<ContentVertex | undefined> {
    return (await this.readContentVertices([sign]))[0];
  }

  readPages(urls: readonly string[]): Promise<PageRecord[]> {
    return this.inChunks<PageRecord>(urls, async (chunk) => {
      const out = new Map<string, PageRecord>();
      for (const r of await this.allRows(this.q.readPagesIn, [chunk])) {
        const url = String(r['page']);
        let rec = out.get(url);
        if (!rec) out.set(url, (rec = { edges: [] }));
        rec.vertex ??= toPageVertex(url, r);
        if (r['link'] != null) rec.edges.push(toFo(url, String(r['link']), r['f_version'], r));
      }
      return out;
    }, () => ({ edges: [] }));
  }

  readPageVertices(urls: readonly string[]): Promise<(PageVertex | undefined)[]> {
    return this.inChunks<PageVertex | undefined>(urls, async (chunk) => {
      const rows = (await this.exec(this.q.readPageVerticesIn, [chunk], this.read)).rows;
      return new Map(rows.map((r) => [String(r['page']), toPageVertex(String(r['page']), r)]));
    }, () => undefined);
  }

  readLinks(urls: readonly string[]): Promise<LinkRecord[]> {
    return this.inChunks<LinkRecord>(urls, async (chunk) => {
      const out = new Map<string, LinkRecord>();
      for (const r of await this.allRows(this.q.readLinksIn, [chunk])) {
        const url = String(r['link']);
        let rec = out.get(url);
        if (!rec) out.set(url, (rec = { contents: [], pages: [] }));
        rec.vertex ??= toLinkVertex(url, r);
        if (r['kind'] === 'c') rec.contents.push(toOc(url, String(r['ref']), r['version'], r));
        else if (r['kind'] === 'f') rec.pages.push(toFo(String(r['ref']), url, r['version'], r));
      }
      return out;
    }, () => ({ contents: [], pages: [] }));
  }

  async readContentVertices(signs: readonly string[]): Promise<(ContentVertex | undefined)[]> {
    const byBucket = new Map<number, string[]>();
    for (const s of new Set(signs)) {
      const b = bucketOf(s, this.buckets);
      byBucket.set(b, [...(byBucket.get(b) ?? []), s]);
    }
    const found = new Map<string, ContentVertex>();
    await Promise.all([...byBucket].map(async ([b, group]) => {
      for (let i = 0; i < group.length; i += IN_CHUNK) {
        const rows = (await this.exec(this.q.readContentVerticesIn, [b, group.slice(i, i + IN_CHUNK)], this.read)).rows;
        for (const r of rows) found.set(String(r['sign']), toContent(String(r['sign']), r));
      }
    }));
    return signs.map((s) => found.get(s));
  }

  async apply(w: WriteSet): Promise<void> {
    const p = writeStatements(this.q, this.buckets, w);
    await this.run(p.journal);
    await this.run(p.rows);
    await this.run(p.vertices);
    await this.counts.add(p.counts, w.contents);
  }

  async remove(r: RemovalSet): Promise<void> {
    const bare = (r.visits ?? []).filter((v) => v.dueAtMs === undefined);
    const states = await this.readVisits(bare);
    const visits = [...(r.visits ?? []), ...bare.flatMap((v, i) => (states[i] ? [{ ...v, dueAtMs: states[i].nextVisitAtMs }] : []))];
    const p = removalStatements(this.q, this.buckets, { ...r, visits });
    await this.run(p.first);
    await this.run(p.last);
    await this.counts.add(p.counts);
  }

  readJournal(o: { beforeMs: number; limit: number }): Promise<ChurnEntry[]> {
    return this.slots.readJournal(o);
  }

  async readCounts(): Promise<CountDelta> {
    const out: CountDelta = {};
    for (const r of await this.allRows(this.q.readCounts, [])) out[String(r['name'])] = (out[String(r['name'])] ?? 0) + num(r['value']);
    return out;
  }

  async readVisits(keys: readonly { kind: 'page' | 'link'; url: string }[]): Promise<(VisitState | undefined)[]> {
    return Promise.all(keys.map(async (k) => {
      const r = (await this.exec(this.q.readVisit, [k.kind, k.url], this.read)).first();
      return r ? (JSON.parse(String(r['state'])) as VisitState) : undefined;
    }));
  }

  readDue(o: { beforeMs: number; limit: number }): Promise<DueVisit[]> {
    return this.slots.readDue(o);
  }

  async readBlobRefs(blob: string): Promise<BlobRef[]> {
    return (await this.allRows(this.q.readBlobRefs, [blob])).map((r) => ({ blob, sign: String(r['sign']), tenant: String(r['tenant']) }));
  }

  async readBlobOrphans(o: { beforeMs: number; limit: number }): Promise<{ blob: string; sinceMs: number }[]> {
    const out: { blob: string; sinceMs: number }[] = [];
    for (let shard = 0; shard < ORPHAN_SHARDS && out.length < o.limit; shard++) {
      for (const r of await this.allRows(this.q.readOrphans, [shard])) {
        const sinceMs = num(r['since']);
        if (sinceMs < o.beforeMs && out.length < o.limit) out.push({ blob: String(r['blob']), sinceMs });
      }
    }
    return out;
  }

  async *scanContents(o: { fromBucket?: number; toBucket?: number; batchSize?: number; signFrom?: string; signTo?: string } = {}): AsyncIterable<ContentRecord[]> {
    if (o.signFrom !== undefined || o.signTo !== undefined) throw new TypeError('The Cassandra store scans whole buckets: signFrom/signTo are for embedded stores');
    const size = o.batchSize ?? 256;
    let batch: ContentRecord[] = [];
    for (let b = o.fromBucket ?? 0; b < Math.min(o.toBucket ?? this.buckets, this.buckets); b++) {
      let cur: ContentRecord | undefined;
      for await (const r of this.rows(this.q.scanBucket, [b], 5000)) {
        const sign = String(r['sign']);
        if (cur && cur.sign !== sign) {
          batch.push(cur);
          cur = undefined;
          if (batch.length >= size) {
            yield batch;
            batch = [];
          }
        }
        cur ??= { sign, links: [] };
        if (r['link'] === '') cur.vertex = toContent(sign, r);
        else cur.links.push(toOc(String(r['link']), sign, r['o_version'], r));
      }
      if (cur) batch.push(cur);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async *scanEdges(): AsyncIterable<EdgeCopy> {
    for await (const r of this.scanTable(this.q.scanFo)) {
      if (r['link'] != null) yield { kind: 'fo', from: String(r['page']), to: String(r['link']), version: num(r['f_version']) };
    }
    for await (const r of this.scanTable(this.q.scanLinkEdges)) {
      if (r['kind'] == null) continue;
      yield r['kind'] === 'c'
        ? { kind: 'oc', from: String(r['link']), to: String(r['ref']), version: num(r['version']) }
        : { kind: 'of', from: String(r['ref']), to: String(r['link']), version: num(r['version']) };
    }
    for await (const r of this.scanTable(this.q.scanCo)) {
      if (r['link'] !== '') yield { kind: 'co', from: String(r['link']), to: String(r['sign']), version: num(r['o_version']) };
    }
  }

  async *scanPageVertices(): AsyncIterable<PageVertex> {
    for await (const r of this.scanTable(this.q.scanPageVertices)) {
      const v = toPageVertex(String(r['page']), r);
      if (v) yield v;
    }
  }

  async *scanLinkVertices(): AsyncIterable<LinkVertex> {
    for await (const r of this.scanTable(this.q.scanLinkVertices)) {
      const v = toLinkVertex(String(r['link']), r);
      if (v) yield v;
    }
  }

  /** Drops the keyspace (tests and benches use one keyspace per run). */
  async dropKeyspace(): Promise<void> {
    await this.client.execute(`DROP KEYSPACE IF EXISTS ${this.options.keyspace}`);
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
