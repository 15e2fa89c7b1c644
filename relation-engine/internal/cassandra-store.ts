// The Cassandra RelationStore: prepared, idempotent statements through a bounded-concurrency
// gate, configurable consistency, schema created/migrated on open.
import cassandra from 'cassandra-driver';
import type {
  ContentRecord, ContentVertex, FoEdge, LinkRecord, LinkVertex, OcEdge, PageRecord, PageVertex, ScannedEdge,
} from '../model.ts';
import { bucketOf, DEFAULT_BUCKETS } from '../model.ts';
import type { ContentPatch, RelationStore } from '../relation-store.ts';
import { migrate } from './cassandra-schema.ts';
import { toContent, toFo, toLinkVertex, toOc, toPageVertex } from './cassandra-rows.ts';
import { createLimiter, type Limiter } from './limiter.ts';
import { Q } from './cassandra-queries.ts';

export type Consistency = 'one' | 'localOne' | 'quorum' | 'localQuorum' | 'all' | 'eachQuorum';

export interface CassandraStoreOptions {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  replication?: Record<string, string | number>;
  buckets?: number;
  readConsistency?: Consistency;
  writeConsistency?: Consistency;
  /** Requests in flight at once from this store. */
  concurrency?: number;
  fetchSize?: number;
}

export async function openCassandraStore(options: CassandraStoreOptions): Promise<CassandraStore> {
  const client = new cassandra.Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    socketOptions: { connectTimeout: 5000, readTimeout: 30_000 },
  });
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => undefined);
    throw new Error(`Cannot reach Cassandra at ${options.contactPoints.join(',')} (dc ${options.localDataCenter}): ${(err as Error).message}`, { cause: err });
  }
  const buckets = await migrate(client, {
    keyspace: options.keyspace,
    replication: options.replication ?? { class: 'SimpleStrategy', replication_factor: 1 },
    buckets: options.buckets ?? DEFAULT_BUCKETS,
  });
  return new CassandraStore(client, options, buckets);
}

type Params = unknown[];

export class CassandraStore implements RelationStore {
  readonly kind = 'cassandra';
  private readonly limit: Limiter;
  private readonly read: cassandra.QueryOptions;
  private readonly write: cassandra.QueryOptions;
  private readonly q: ReturnType<typeof Q>;

  constructor(private readonly client: cassandra.Client, private readonly options: CassandraStoreOptions, readonly buckets: number) {
    const cl = cassandra.types.consistencies;
    this.limit = createLimiter(options.concurrency ?? 64);
    this.read = { prepare: true, consistency: cl[options.readConsistency ?? 'localQuorum'] };
    this.write = { prepare: true, isIdempotent: true, consistency: cl[options.writeConsistency ?? 'localQuorum'] };
    this.q = Q(options.keyspace);
  }

  private exec(query: string, params: Params, opts: cassandra.QueryOptions): Promise<cassandra.types.ResultSet> {
    return this.limit(() => this.client.execute(query, params, opts));
  }

  /** Every row of a query, page by page. */
  private async *rows(query: string, params: Params): AsyncIterable<cassandra.types.Row> {
    let pageState: string | undefined;
    do {
      const rs = await this.exec(query, params, { ...this.read, fetchSize: this.options.fetchSize ?? 1000, ...(pageState ? { pageState } : {}) });
      yield* rs.rows;
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }

  async readPage(url: string): Promise<PageRecord> {
    const rec: PageRecord = { edges: [] };
    for await (const r of this.rows(this.q.readPage, [url])) {
      rec.vertex ??= toPageVertex(url, r);
      if (r['link'] != null) rec.edges.push(toFo(url, String(r['link']), r['f_version'], r));
    }
    return rec;
  }

  async readPageVertex(url: string): Promise<PageVertex | undefined> {
    const rs = await this.exec(this.q.readPageVertex, [url], this.read);
    const r = rs.first();
    return r ? toPageVertex(url, r) : undefined;
  }

  async readLink(url: string): Promise<LinkRecord> {
    const rec: LinkRecord = { contents: [], pages: [] };
    for await (const r of this.rows(this.q.readLink, [url])) {
      rec.vertex ??= toLinkVertex(url, r);
      if (r['kind'] === 'c') rec.contents.push(toOc(url, String(r['ref']), r['version'], r));
      else if (r['kind'] === 'f') rec.pages.push(toFo(String(r['ref']), url, r['version'], r));
    }
    return rec;
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
    const r = (await this.exec(this.q.readContentVertex, [bucketOf(sign, this.buckets), sign], this.read)).first();
    return r ? toContent(sign, r) : undefined;
  }

  async writePageVertex(v: PageVertex): Promise<void> {
    await this.exec(this.q.writePageVertex, [v.url, v.title, v.pageType, v.contentHash, v.finalUrl ?? null, v.version, v.crawledAtMs, v.deleted], this.write);
  }

  async writeLinkVertex(v: LinkVertex): Promise<void> {
    await this.exec(this.q.writeLinkVertex, [v.url, v.alive, v.reason ?? null, v.version, v.crawledAtMs], this.write);
  }

  async mergeContent(sign: string, p: ContentPatch): Promise<void> {
    const f = p.features;
    // Absent fields bind `undefined`, which the driver sends as "unset": they keep their value.
    await this.exec(this.q.mergeContent, [
      bucketOf(sign, this.buckets), sign, f?.width, f?.height, f?.format, f?.clarity, f?.phash, f?.dominantColor,
      p.ocrText, p.ocrLines === undefined ? undefined : JSON.stringify(p.ocrLines), p.thumbnailRef,
    ], this.write);
  }

  async writeFoEdges(edges: readonly FoEdge[]): Promise<void> {
    await Promise.all(edges.flatMap((e) => [
      this.exec(this.q.writeFo, [e.page, e.link, e.fVersion, e.alt, e.title, e.context], this.write),
      this.exec(this.q.writeOf, [e.link, e.page, e.fVersion, e.alt, e.title, e.context], this.write),
    ]));
  }

  async writeOcEdge(e: OcEdge): Promise<void> {
    await Promise.all([
      this.exec(this.q.writeOc, [e.link, e.sign, e.oVersion, e.crawledAtMs], this.write),
      this.exec(this.q.writeCo, [bucketOf(e.sign, this.buckets), e.sign, e.link, e.oVersion, e.crawledAtMs], this.write),
    ]);
  }

  async *scanContents(): AsyncIterable<ContentRecord> {
    for (let b = 0; b < this.buckets; b++) {
      let cur: ContentRecord | undefined;
      for await (const r of this.rows(this.q.scanBucket, [b])) {
        const sign = String(r['sign']);
        if (cur && cur.sign !== sign) {
          yield cur;
          cur = undefined;
        }
        cur ??= { sign, links: [] };
        if (r['link'] === '') cur.vertex = toContent(sign, r);
        else cur.links.push(toOc(String(r['link']), sign, r['o_version'], r));
      }
      if (cur) yield cur;
    }
  }

  async *scanEdges(): AsyncIterable<ScannedEdge> {
    const n = (v: unknown) => Number(String(v));
    for await (const r of this.rows(this.q.scanFo, [])) {
      if (r['link'] != null) yield { kind: 'fo', from: String(r['page']), to: String(r['link']), version: n(r['f_version']), token: r['wt'] };
    }
    for await (const r of this.rows(this.q.scanLinkEdges, [])) {
      if (r['kind'] == null) continue;
      const [kind, from, to] = r['kind'] === 'c'
        ? ['oc', String(r['link']), String(r['ref'])] as const
        : ['of', String(r['ref']), String(r['link'])] as const;
      yield { kind, from, to, version: n(r['version']), token: r['wt'] };
    }
    for await (const r of this.rows(this.q.scanCo, [])) {
      if (r['link'] !== '') yield { kind: 'co', from: String(r['link']), to: String(r['sign']), version: n(r['o_version']), token: r['wt'] };
    }
  }

  async *scanPageVertices(): AsyncIterable<PageVertex> {
    for await (const r of this.rows(this.q.scanPageVertices, [])) {
      const v = toPageVertex(String(r['page']), r);
      if (v) yield v;
    }
  }

  async *scanLinkVertices(): AsyncIterable<LinkVertex> {
    for await (const r of this.rows(this.q.scanLinkVertices, [])) {
      const v = toLinkVertex(String(r['link']), r);
      if (v) yield v;
    }
  }

  async deleteEdgeIfUnchanged(e: ScannedEdge): Promise<boolean> {
    // Delete at the write time the scan saw: a later rewrite has a newer timestamp and survives.
    const ts = e.token as cassandra.types.Long | null | undefined;
    if (ts == null) return false;
    const [query, params] = this.deletion(e);
    await this.exec(query, [ts, ...params], { ...this.write, isIdempotent: true });
    return true;
  }

  private deletion(e: ScannedEdge): [string, Params] {
    switch (e.kind) {
      case 'fo': return [this.q.deleteFo, [e.from, e.to]];
      case 'of': return [this.q.deleteLinkRow, [e.to, 'f', e.from]];
      case 'oc': return [this.q.deleteLinkRow, [e.from, 'c', e.to]];
      case 'co': return [this.q.deleteCo, [bucketOf(e.to, this.buckets), e.to, e.from]];
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
