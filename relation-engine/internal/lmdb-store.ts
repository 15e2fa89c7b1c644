// The embedded RelationStore on LMDB: three named databases mirroring the Cassandra tables, so a
// scan yields contents in the same (bucket, sign) order. Data survives a restart.
import { open, type Database, type RootDatabase } from 'lmdb';
import type {
  ContentRecord, ContentVertex, FoEdge, LinkRecord, LinkVertex, OcEdge, PageRecord, PageVertex, ScannedEdge,
} from '../model.ts';
import { bucketOf, DEFAULT_BUCKETS } from '../model.ts';
import type { ContentPatch, RelationStore } from '../relation-store.ts';
import { bucketPrefix, key, splitKey, under } from './keys.ts';

type Row = Record<string, unknown>;

export interface LmdbStoreOptions {
  path: string;
  buckets?: number;
}

export async function openLmdbStore(options: LmdbStoreOptions): Promise<RelationStore> {
  const root = open({ path: options.path, compression: false });
  const meta = root.openDB<Row, string>({ name: 'meta' });
  const stored = meta.get('buckets') as { value: number } | undefined;
  const buckets = stored?.value ?? options.buckets ?? DEFAULT_BUCKETS;
  if (!stored) await meta.put('buckets', { value: buckets });
  const db = (name: string) => root.openDB<Row, Buffer>({ name, keyEncoding: 'binary' });
  return new LmdbStore(root, db('f'), db('o'), db('c'), buckets);
}

const clean = (r: Row): Row => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));

class LmdbStore implements RelationStore {
  readonly kind = 'embedded';
  constructor(
    private readonly root: RootDatabase,
    private readonly f: Database<Row, Buffer>,
    private readonly o: Database<Row, Buffer>,
    private readonly c: Database<Row, Buffer>,
    readonly buckets: number,
  ) {}

  private cbase(sign: string): Buffer {
    return Buffer.concat([bucketPrefix(bucketOf(sign, this.buckets)), Buffer.from(sign, 'utf8')]);
  }

  async readPage(url: string): Promise<PageRecord> {
    const rec: PageRecord = { edges: [] };
    for (const { key: k, value } of this.f.getRange(under(url))) {
      const [, link] = splitKey(k);
      if (link === '') rec.vertex = value as unknown as PageVertex;
      else rec.edges.push(value as unknown as FoEdge);
    }
    return rec;
  }

  async readPageVertex(url: string): Promise<PageVertex | undefined> {
    return this.f.get(key(url, '')) as PageVertex | undefined;
  }

  async readLink(url: string): Promise<LinkRecord> {
    const rec: LinkRecord = { contents: [], pages: [] };
    for (const { key: k, value } of this.o.getRange(under(url))) {
      const [, kind] = splitKey(k);
      if (kind === '') rec.vertex = value as unknown as LinkVertex;
      else if (kind === 'c') rec.contents.push(value as unknown as OcEdge);
      else rec.pages.push(value as unknown as FoEdge);
    }
    return rec;
  }

  async readLinkVertex(url: string): Promise<LinkVertex | undefined> {
    return this.o.get(key(url, '')) as LinkVertex | undefined;
  }

  async readContent(sign: string): Promise<ContentRecord> {
    const rec: ContentRecord = { sign, links: [] };
    for (const { key: k, value } of this.c.getRange(under(this.cbase(sign)))) {
      const [, link] = splitKey(k, 2);
      if (link === '') rec.vertex = value as unknown as ContentVertex;
      else rec.links.push(value as unknown as OcEdge);
    }
    return rec;
  }

  async readContentVertex(sign: string): Promise<ContentVertex | undefined> {
    return this.c.get(key(this.cbase(sign), '')) as ContentVertex | undefined;
  }

  async writePageVertex(v: PageVertex): Promise<void> {
    await this.f.put(key(v.url, ''), clean({ ...v }));
  }

  async writeLinkVertex(v: LinkVertex): Promise<void> {
    await this.o.put(key(v.url, ''), clean({ ...v }));
  }

  async mergeContent(sign: string, patch: ContentPatch): Promise<void> {
    const k = key(this.cbase(sign), '');
    await this.c.transaction(() => {
      const prev = (this.c.get(k) ?? { sign }) as Row;
      void this.c.put(k, clean({ ...prev, ...patch, sign }));
    });
  }

  async writeFoEdges(edges: readonly FoEdge[]): Promise<void> {
    await Promise.all(edges.flatMap((e) => [
      this.f.put(key(e.page, e.link), clean({ ...e })),
      this.o.put(key(e.link, 'f', e.page), clean({ ...e })),
    ]));
  }

  async writeOcEdge(e: OcEdge): Promise<void> {
    await Promise.all([
      this.o.put(key(e.link, 'c', e.sign), { ...e }),
      this.c.put(key(this.cbase(e.sign), e.link), { ...e }),
    ]);
  }

  async *scanContents(): AsyncIterable<ContentRecord> {
    let cur: ContentRecord | undefined;
    for (const { key: k, value } of this.c.getRange({})) {
      const [sign = '', link] = splitKey(k, 2);
      if (cur && cur.sign !== sign) {
        yield cur;
        cur = undefined;
      }
      cur ??= { sign, links: [] };
      if (link === '') cur.vertex = value as unknown as ContentVertex;
      else cur.links.push(value as unknown as OcEdge);
    }
    if (cur) yield cur;
  }

  async *scanEdges(): AsyncIterable<ScannedEdge> {
    for (const { value } of this.f.getRange({})) {
      const e = value as Partial<FoEdge>;
      if (e.link !== undefined) yield { kind: 'fo', from: e.page!, to: e.link, version: e.fVersion! };
    }
    for (const { key: k, value } of this.o.getRange({})) {
      const [, kind] = splitKey(k);
      if (kind === 'c') {
        const e = value as unknown as OcEdge;
        yield { kind: 'oc', from: e.link, to: e.sign, version: e.oVersion };
      } else if (kind === 'f') {
        const e = value as unknown as FoEdge;
        yield { kind: 'of', from: e.page, to: e.link, version: e.fVersion };
      }
    }
    for (const { key: k, value } of this.c.getRange({})) {
      const [, link] = splitKey(k, 2);
      if (link === '') continue;
      const e = value as unknown as OcEdge;
      yield { kind: 'co', from: e.link, to: e.sign, version: e.oVersion };
    }
  }

  async *scanPageVertices(): AsyncIterable<PageVertex> {
    for (const { value } of this.f.getRange({})) {
      if ((value as Partial<FoEdge>).link === undefined) yield value as unknown as PageVertex;
    }
  }

  async *scanLinkVertices(): AsyncIterable<LinkVertex> {
    for (const { key: k, value } of this.o.getRange({})) {
      if (splitKey(k)[1] === '') yield value as unknown as LinkVertex;
    }
  }

  async deleteEdgeIfUnchanged(edge: ScannedEdge): Promise<boolean> {
    const [db, k, field] = this.locate(edge);
    // LMDB has one writer at a time, so check-and-delete inside a transaction is atomic: a
    // rewrite carries a newer version and is left alone.
    return this.root.transaction(() => {
      const cur = db.get(k);
      if (!cur || cur[field] !== edge.version) return false;
      void db.remove(k);
      return true;
    });
  }

  private locate(e: ScannedEdge): [Database<Row, Buffer>, Buffer, string] {
    switch (e.kind) {
      case 'fo': return [this.f, key(e.from, e.to), 'fVersion'];
      case 'of': return [this.o, key(e.to, 'f', e.from), 'fVersion'];
      case 'oc': return [this.o, key(e.from, 'c', e.to), 'oVersion'];
      case 'co': return [this.c, key(this.cbase(e.to), e.from), 'oVersion'];
    }
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
