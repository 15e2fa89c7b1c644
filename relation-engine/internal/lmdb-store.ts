// The embedded RelationStore on LMDB: named databases mirroring the Cassandra tables, so a scan
// yields contents in the same (bucket, sign) order. One write set is one transaction (atomic,
// and lmdb-js coalesces concurrent transactions into one commit). Data survives a restart.
import { existsSync } from 'node:fs';
import { open, type Database, type RootDatabase, type RootDatabaseOptionsWithPath } from 'lmdb';
import type {
  ChurnEntry, ContentRecord, ContentVertex, EdgeCopy, FoEdge, LinkRecord, LinkVertex, OcEdge, PageRecord, PageVertex,
} from '../model.ts';
import { DEFAULT_BUCKETS } from '../model.ts';
import type { BlobRef, CountDelta, DueVisit, RelationStore, RemovalSet, VisitState, WriteSet } from '../relation-store.ts';
import { bucketPrefix, key, keyBytes, readU64, splitKey, u64, under } from './keys.ts';
import { applyRemovals, applyWrites, cbase, journalKey, type Tables } from './lmdb-writes.ts';
import { checkBuckets, StoreMissingError } from './store-errors.ts';

type Row = Record<string, unknown>;

const fo = (page: string, link: string, v: Row): FoEdge => ({ page, link, alt: v['alt'] as string, title: v['title'] as string, context: v['context'] as string, fVersion: v['fVersion'] as number });
const oc = (link: string, sign: string, v: Row): OcEdge => ({ link, sign, crawledAtMs: v['crawledAtMs'] as number, oVersion: v['oVersion'] as number });

export interface LmdbStoreOptions {
  path: string;
  /** C buckets, fixed when the store is created (default 64). */
  buckets?: number;
  /** Fail with STORE_MISSING instead of creating a store that does not exist. */
  mustExist?: boolean;
}

export async function openLmdbStore(options: LmdbStoreOptions): Promise<RelationStore> {
  if (options.mustExist && !existsSync(`${options.path}/data.mdb`)) throw new StoreMissingError(`embedded:${options.path}`, options.path);
  if (options.buckets !== undefined) checkBuckets(options.buckets, 65_536);
  // Values are plain msgpack maps. lmdb-js's default (msgpackr records with no shared structures)
  // stores each value's key list inside it and builds a new reader for every value decoded: 15 %
  // of an export's CPU. Values written under that default still decode (each carries its keys).
  // (lmdb-js hands its msgpackr options through, untyped.)
  // 8 KB pages (for a new store; an existing one keeps its own): keys of up to 4,026 bytes, so a
  // page URL and a link URL of about 2 KB each fit in one edge key (1,978 bytes with 4 KB pages).
  const lmdbOptions: RootDatabaseOptionsWithPath & { useRecords: false } = { path: options.path, compression: false, maxDbs: 16, useRecords: false, pageSize: 8192 };
  const root = open(lmdbOptions);
  const meta = root.openDB<Row, string>({ name: 'meta' });
  const stored = meta.get('buckets') as { value: number } | undefined;
  const buckets = stored?.value ?? options.buckets ?? DEFAULT_BUCKETS;
  if (!stored) await meta.put('buckets', { value: buckets });
  const db = (name: string) => root.openDB<Row, Buffer>({ name, keyEncoding: 'binary' });
  const tables: Tables = {
    root, buckets, f: db('f'), o: db('o'), c: db('c'), j: db('j'), v: db('v'), d: db('d'), b: db('b'), z: db('z'),
    n: root.openDB<number, string>({ name: 'n' }),
  };
  return new LmdbStore(tables, options.path);
}

/** The keys of one bucket's signs in [from, to) (open ends: the bucket's start or end). */
function signSlice(bucket: number, from: string | undefined, to: string | undefined, toBucket: number): { start: Buffer; end?: Buffer } {
  if (toBucket !== bucket + 1) throw new TypeError(`Expected a sign slice to cover one bucket, got buckets [${bucket}, ${toBucket})`);
  const start = Buffer.concat([bucketPrefix(bucket), Buffer.from(from ?? '', 'utf8')]);
  const end = to !== undefined ? Buffer.concat([bucketPrefix(bucket), Buffer.from(to, 'utf8')]) : bucket + 1 < 65_536 ? bucketPrefix(bucket + 1) : undefined;
  return { start, ...(end ? { end } : {}) };
}

class LmdbStore implements RelationStore {
  readonly kind = 'embedded';
  readonly buckets: number;
  readonly maxKeyBytes: number;
  readonly keyBytes = keyBytes;
  readonly threadSpec: string;
  constructor(private readonly t: Tables, path: string) {
    this.buckets = t.buckets;
    this.threadSpec = `embedded:${path}`;
    // lmdb-js's limit for the environment's page size: 4,026 bytes with 8 KB pages, 1,978 with the
    // 4 KB pages of a store created before (untyped).
    this.maxKeyBytes = (t.root as { maxKeySize?: number }).maxKeySize ?? 1_978;
  }

  private page(url: string): PageRecord {
    const rec: PageRecord = { edges: [] };
    const at = Buffer.byteLength(url) + 1;
    for (const { key: k, value } of this.t.f.getRange(under(url))) {
      if (k.length === at) rec.vertex = value as unknown as PageVertex;
      else rec.edges.push(fo(url, k.toString('utf8', at), value));
    }
    return rec;
  }

  private link(url: string): LinkRecord {
    const rec: LinkRecord = { contents: [], pages: [] };
    const at = Buffer.byteLength(url) + 1;
    for (const { key: k, value } of this.t.o.getRange(under(url))) {
      if (k.length === at) rec.vertex = value as unknown as LinkVertex;
      else if (k[at] === 0x63) rec.contents.push(oc(url, k.toString('utf8', at + 2), value));
      else rec.pages.push(fo(k.toString('utf8', at + 2), url, value));
    }
    return rec;
  }

  private content(sign: string): ContentRecord {
    const rec: ContentRecord = { sign, links: [] };
    const base = cbase(sign, this.buckets);
    for (const { key: k, value } of this.t.c.getRange(under(base))) {
      if (k.length === base.length + 1) rec.vertex = value as unknown as ContentVertex;
      else rec.links.push(oc(k.toString('utf8', base.length + 1), sign, value));
    }
    return rec;
  }

  async readPage(url: string): Promise<PageRecord> {
    return this.page(url);
  }

  async readPageVertex(url: string): Promise<PageVertex | undefined> {
    return this.t.f.get(key(url, '')) as PageVertex | undefined;
  }

  async readLink(url: string): Promise<LinkRecord> {
    return this.link(url);
  }

  async readLinkVertex(url: string): Promise<LinkVertex | undefined> {
    return this.t.o.get(key(url, '')) as LinkVertex | undefined;
  }

  async readContent(sign: string): Promise<ContentRecord> {
    return this.content(sign);
  }

  async readContentVertex(sign: string): Promise<ContentVertex | undefined> {
    return this.t.c.get(key(cbase(sign, this.buckets), '')) as ContentVertex | undefined;
  }

  async readPages(urls: readonly string[]): Promise<PageRecord[]> {
    return urls.map((u) => this.page(u));
  }

  async readPageVertices(urls: readonly string[]): Promise<(PageVertex | undefined)[]> {
    return urls.map((u) => this.t.f.get(key(u, '')) as PageVertex | undefined);
  }

  async readLinks(urls: readonly string[]): Promise<LinkRecord[]> {
    return urls.map((u) => this.link(u));
  }

  async readContentVertices(signs: readonly string[]): Promise<(ContentVertex | undefined)[]> {
    return signs.map((s) => this.t.c.get(key(cbase(s, this.buckets), '')) as ContentVertex | undefined);
  }

  async apply(writes: WriteSet): Promise<void> {
    await this.t.root.transaction(() => applyWrites(this.t, writes));
  }

  async remove(removals: RemovalSet): Promise<void> {
    await this.t.root.transaction(() => applyRemovals(this.t, removals));
  }

  async readJournal({ beforeMs, limit }: { beforeMs: number; limit: number }): Promise<ChurnEntry[]> {
    const out: ChurnEntry[] = [];
    for (const { value } of this.t.j.getRange({ end: journalKey({ recordedAtMs: beforeMs }), limit })) out.push(value as unknown as ChurnEntry);
    return out;
  }

  async readCounts(): Promise<CountDelta> {
    const out: CountDelta = {};
    for (const { key: k, value } of this.t.n.getRange({})) out[k] = value;
    return out;
  }

  async readVisits(keys: readonly { kind: 'page' | 'link'; url: string }[]): Promise<(VisitState | undefined)[]> {
    return keys.map((k) => this.t.v.get(key(k.kind, k.url)) as VisitState | undefined);
  }

  async readDue({ beforeMs, limit }: { beforeMs: number; limit: number }): Promise<DueVisit[]> {
    const out: DueVisit[] = [];
    for (const { key: k } of this.t.d.getRange({ end: u64(beforeMs), limit })) {
      const [kind, url] = splitKey(k, 8);
      out.push({ kind: kind as DueVisit['kind'], url: url!, dueAtMs: readU64(k) });
    }
    return out;
  }

  async readBlobRefs(blob: string): Promise<BlobRef[]> {
    const out: BlobRef[] = [];
    for (const { key: k } of this.t.b.getRange(under(blob))) {
      const [, sign = '', tenant = ''] = splitKey(k);
      out.push({ blob, sign, tenant });
    }
    return out;
  }

  async readBlobOrphans({ beforeMs, limit }: { beforeMs: number; limit: number }): Promise<{ blob: string; sinceMs: number }[]> {
    const out: { blob: string; sinceMs: number }[] = [];
    for (const { key: k, value } of this.t.z.getRange({})) {
      const sinceMs = (value as { sinceMs: number }).sinceMs;
      if (sinceMs < beforeMs) out.push({ blob: k.toString('utf8'), sinceMs });
      if (out.length >= limit) break;
    }
    return out;
  }

  async *scanContents(o: { fromBucket?: number; toBucket?: number; batchSize?: number; signFrom?: string; signTo?: string } = {}): AsyncIterable<ContentRecord[]> {
    const size = o.batchSize ?? 256;
    const range = o.signFrom !== undefined || o.signTo !== undefined ? signSlice(o.fromBucket ?? 0, o.signFrom, o.signTo, o.toBucket ?? this.buckets) : {
      ...(o.fromBucket ? { start: bucketPrefix(o.fromBucket) } : {}),
      ...(o.toBucket !== undefined && o.toBucket < this.buckets ? { end: bucketPrefix(o.toBucket) } : {}),
    };
    let batch: ContentRecord[] = [];
    let cur: ContentRecord | undefined;
    for (const { key: k, value } of this.t.c.getRange(range)) {
      const sep = k.indexOf(0, 2);
      const sign = k.toString('utf8', 2, sep);
      if (cur && cur.sign !== sign) {
        batch.push(cur);
        cur = undefined;
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      cur ??= { sign, links: [] };
      if (sep === k.length - 1) cur.vertex = value as unknown as ContentVertex;
      else cur.links.push(oc(k.toString('utf8', sep + 1), sign, value));
    }
    if (cur) batch.push(cur);
    if (batch.length > 0) yield batch;
  }

  async *scanEdges(): AsyncIterable<EdgeCopy> {
    for (const { key: k, value } of this.t.f.getRange({})) {
      const [page = '', link = ''] = splitKey(k);
      if (link !== '') yield { kind: 'fo', from: page, to: link, version: value['fVersion'] as number };
    }
    for (const { key: k, value } of this.t.o.getRange({})) {
      const [link = '', kind, ref = ''] = splitKey(k);
      if (kind === 'c') yield { kind: 'oc', from: link, to: ref, version: value['oVersion'] as number };
      else if (kind === 'f') yield { kind: 'of', from: ref, to: link, version: value['fVersion'] as number };
    }
    for (const { key: k, value } of this.t.c.getRange({})) {
      const sep = k.indexOf(0, 2);
      if (sep === k.length - 1) continue;
      yield { kind: 'co', from: k.toString('utf8', sep + 1), to: k.toString('utf8', 2, sep), version: value['oVersion'] as number };
    }
  }

  async *scanPageVertices(): AsyncIterable<PageVertex> {
    for (const { key: k, value } of this.t.f.getRange({})) {
      if (k[k.length - 1] === 0) yield value as unknown as PageVertex;
    }
  }

  async *scanLinkVertices(): AsyncIterable<LinkVertex> {
    for (const { key: k, value } of this.t.o.getRange({})) {
      if (splitKey(k)[1] === '') yield value as unknown as LinkVertex;
    }
  }

  async close(): Promise<void> {
    await this.t.root.close();
  }
}

export type { Database, RootDatabase };
