// Keyspace and tables, created and migrated on start. Migrations are numbered and append-only;
// `schema_meta` records the applied number and the C bucket count (fixed per keyspace).
import type { Client } from 'cassandra-driver';

export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    // F: one partition per page — the vertex in static columns, one row per fo edge.
    `CREATE TABLE IF NOT EXISTS pages (
      page text, link text,
      f_version bigint, alt text, title text, context text,
      v_title text static, v_page_type text static, v_content_hash text static, v_final_url text static,
      v_version bigint static, v_crawled_at bigint static, v_deleted boolean static,
      PRIMARY KEY ((page), link))`,
    // O: one partition per link — the vertex in static columns; rows kind='c' are oc edges
    // (o → c), rows kind='f' the reverse fo edges (which pages show the link).
    `CREATE TABLE IF NOT EXISTS links (
      link text, kind text, ref text,
      version bigint, crawled_at bigint, alt text, title text, context text,
      v_alive boolean static, v_reason text static, v_version bigint static, v_crawled_at bigint static,
      PRIMARY KEY ((link), kind, ref))`,
    // C: partitioned by a prefix-hash bucket so a scan walks buckets in order and signs in
    // clustering order; row link='' is the vertex, the others are reverse oc edges.
    `CREATE TABLE IF NOT EXISTS contents (
      bucket int, sign text, link text,
      o_version bigint, crawled_at bigint,
      width int, height int, format text, clarity double, phash text, dominant_color text,
      ocr_text text, ocr_lines text, thumbnail_ref text,
      PRIMARY KEY ((bucket), sign, link))`,
  ],
];

export interface SchemaOptions {
  keyspace: string;
  replication: Record<string, string | number>;
  buckets: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,47}$/;

export function checkKeyspace(name: string): void {
  if (!IDENT.test(name)) {
    throw new TypeError(`Expected keyspace to match ${IDENT}, got \`${name}\``);
  }
}

/** Creates or migrates the keyspace; returns the bucket count the keyspace was created with. */
export async function migrate(client: Client, o: SchemaOptions): Promise<number> {
  checkKeyspace(o.keyspace);
  const repl = JSON.stringify(o.replication).replaceAll('"', "'");
  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${o.keyspace} WITH replication = ${repl}`);
  await client.execute(`CREATE TABLE IF NOT EXISTS ${o.keyspace}.schema_meta (key text PRIMARY KEY, value text)`);
  const rows = (await client.execute(`SELECT key, value FROM ${o.keyspace}.schema_meta`)).rows;
  const meta = new Map(rows.map((r) => [String(r['key']), String(r['value'])]));
  const applied = Number(meta.get('schema_version') ?? 0);
  for (let i = applied; i < MIGRATIONS.length; i++) {
    for (const ddl of MIGRATIONS[i] ?? []) {
      await client.execute(ddl.replace(/TABLE IF NOT EXISTS (\w+)/, `TABLE IF NOT EXISTS ${o.keyspace}.$1`));
    }
    await client.execute(`INSERT INTO ${o.keyspace}.schema_meta (key, value) VALUES ('schema_version', ?)`, [String(i + 1)], { prepare: true });
  }
  const buckets = meta.get('buckets');
  if (buckets !== undefined) return Number(buckets);
  await client.execute(`INSERT INTO ${o.keyspace}.schema_meta (key, value) VALUES ('buckets', ?) IF NOT EXISTS`, [String(o.buckets)], { prepare: true });
  const again = await client.execute(`SELECT value FROM ${o.keyspace}.schema_meta WHERE key = 'buckets'`);
  return Number(again.first()?.['value'] ?? o.buckets);
}
