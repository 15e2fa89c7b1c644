// Grouped execution for the Cassandra store: statements are grouped by partition and sent as
// unlogged batches (one partition per batch where a partition has several rows; small single-
// row partitions share a batch), under a size cap, with bounded concurrency.
import type cassandra from 'cassandra-driver';
import type { Limiter } from './limiter.ts';

export interface Stmt {
  query: string;
  params: unknown[];
  /** The partition the statement writes, e.g. `pages|http://…`. */
  partition: string;
}

const MAX_ROWS = 64;
const MAX_BYTES = 24 * 1024; // below Cassandra's 50 KiB batch_size_fail_threshold, with room for overhead
const MAX_PARTITIONS = 8; // below unlogged_batch_across_partitions_warn_threshold (10)

const sizeOf = (s: Stmt) => s.params.reduce<number>((n, p) => n + (typeof p === 'string' ? p.length : 8), 64);

/** Cuts statements into batches: same-partition statements together, small partitions packed. */
export function packBatches(stmts: readonly Stmt[]): Stmt[][] {
  const groups = new Map<string, Stmt[]>();
  for (const s of stmts) {
    const g = groups.get(s.partition);
    if (g) g.push(s);
    else groups.set(s.partition, [s]);
  }
  const out: Stmt[][] = [];
  let open: Stmt[] = [];
  let openBytes = 0;
  let openParts = 0;
  const flush = () => {
    if (open.length > 0) out.push(open);
    open = [];
    openBytes = 0;
    openParts = 0;
  };
  for (const group of groups.values()) {
    for (let i = 0; i < group.length;) {
      // Fill the open batch with as much of this partition as fits.
      let taken = 0;
      while (i < group.length && open.length < MAX_ROWS && (open.length === 0 || openBytes + sizeOf(group[i]!) <= MAX_BYTES)) {
        openBytes += sizeOf(group[i]!);
        open.push(group[i]!);
        i++;
        taken++;
      }
      if (taken > 0) openParts++;
      if (i < group.length || open.length >= MAX_ROWS || openParts >= MAX_PARTITIONS || openBytes >= MAX_BYTES) flush();
    }
  }
  flush();
  return out;
}

export async function executeGrouped(client: cassandra.Client, limit: Limiter, stmts: readonly Stmt[], options: cassandra.QueryOptions): Promise<void> {
  if (stmts.length === 0) return;
  await Promise.all(packBatches(stmts).map((batch) => limit(() => (batch.length === 1
    ? client.execute(batch[0]!.query, batch[0]!.params, options)
    : client.batch(batch.map((s) => ({ query: s.query, params: s.params })), { ...options, logged: false })))));
}
