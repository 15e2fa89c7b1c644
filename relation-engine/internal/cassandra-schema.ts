// Keyspace and tables, created and migrated on start. Migrations are numbered and append-only;
// `schema_meta` records the applied number, the C bucket count (a setting of the keyspace, fixed
// when it is created) and the creation time (where the time-slotted queues start).
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
  [
    'ALTER TABLE pages ADD v_alias_of text static',
    'ALTER TABLE pages ADD v_aliases text static',
    // The churn journal: time-slotted partitions (shard, slot), found through the slot index.
    `CREATE TABLE IF NOT EXISTS churn (
      shard int, slot bigint, recorded_at bigint, kind text, id text, version bigint,
      prev_version bigint, stale text,
      PRIMARY KEY ((shard, slot), recorded_at, kind, id, version))`,
    // Which slots of a queue (churn, due) may hold entries; an emptied slot is dropped from it.
    'CREATE TABLE IF NOT EXISTS slots (queue text, shard int, slot bigint, PRIMARY KEY ((queue, shard), slot)) WITH gc_grace_seconds = 3600',
    'CREATE TABLE IF NOT EXISTS counts (shard int, name text, value counter, PRIMARY KEY ((shard), name))',
    'CREATE TABLE IF NOT EXISTS visits (kind text, url text, state text, PRIMARY KEY ((kind, url)))',
    `CREATE TABLE IF NOT EXISTS due (
      shard int, slot bigint, due_at bigint, kind text, url text,
      PRIMARY KEY ((shard, slot), due_at, kind, url))`,
    'CREATE TABLE IF NOT EXISTS blob_refs (blob text, sign text, tenant text, PRIMARY KEY ((blob), sign, tenant))',
    'CREATE TABLE IF NOT EXISTS blob_orphans (shard int, blob text, since bigint, PRIMARY KEY ((shard), blob))',
  ],
  [
    // Which of a content's milestones are counted: each claimed once, by a lightweight transaction.
    'ALTER TABLE contents ADD counted_vertex boolean',
    'ALTER TABLE contents ADD counted_features boolean',
    'ALTER TABLE contents ADD counted_ocr boolean',
  ],
];

export interface SchemaOptions {
  keyspace: string;
  replication: Record<string, string | number>;
  buckets: number;
  now: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,47}$/;

export function checkKeyspace(name: string): void {
  if (!IDENT.test(name)) {
    throw new TypeError(`Expected keyspace to match ${IDENT}, got \`${name}\``);
  }
}

export async function keyspaceExists(client: Client, keyspace: string): Promise<boolean> {
  const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], { prepare: true });
  return rs.rowLength > 0;
}

/** Creates or migrates the keyspace; returns its bucket count and creation time. */
export async function migrate(client: Client, o: SchemaOptions): Promise<{ buckets: number; createdAtMs: number }> {
  checkKeyspace(o.keyspace);
  const repl = JSON.stringify(o.replication).replaceAll('"', "'");
  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${o.keyspace} WITH replication = ${repl}`);
  await client.execute(`CREATE TABLE IF NOT EXISTS ${o.keyspace}.schema_meta (key text PRIMARY KEY, value text)`);
  const read = async () => new Map((await client.execute(`SELECT key, value FROM ${o.keyspace}.schema_meta`)).rows.map((r) => [String(r['key']), String(r['value'])]));
  let meta = await read();
  for (const [key, value] of [['buckets', String(o.buckets)], ['created_at', String(o.now)]] as const) {
    if (!meta.has(key)) await client.execute(`INSERT INTO ${o.keyspace}.schema_meta (key, value) VALUES (?, ?) IF NOT EXISTS`, [key, value], { prepare: true });
  }
  const applied = Number(meta.get('schema_version') ?? 0);
  for (let i = applied; i < MIGRATIONS.length; i++) {
    for (const ddl of MIGRATIONS[i] ?? []) {
      const q = ddl.replace(/TABLE (IF NOT EXISTS )?(\w+)/, (_m, ine: string | undefined, t: string) => `TABLE ${ine ?? ''}${o.keyspace}.${t}`);
      try {
        await client.execute(q);
      } catch (err) {
        // Another process ran the same migration first.
        if (!/already exist|conflicts with an existing column/i.test((err as Error).message)) throw err;
      }
    }
    await client.execute(`INSERT INTO ${o.keyspace}.schema_meta (key, value) VALUES ('schema_version', ?)`, [String(i + 1)], { prepare: true });
  }
  meta = await read();
  return { buckets: Number(meta.get('buckets') ?? o.buckets), createdAtMs: Number(meta.get('created_at') ?? o.now) };
}
