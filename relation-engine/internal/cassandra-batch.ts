// Grouped execution for the Cassandra store: statements are grouped by partition and sent as
// unlogged batches (one partition per batch where a partition has several rows; small single-
// row partitions share a batch), under a size cap, with bounded concurrency. A batch over many
// partitions is cheap only where they share their replicas: then the coordinator is a replica of
// all of them and nothing fans out. So the partitions per batch stay below Cassandra's warning
// (10) unless every node holds every partition (one node, or as many nodes as replicas).
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
/** Below unlogged_batch_across_partitions_warn_threshold (10), for partitions on different nodes. */
export const SPREAD_PARTITIONS = 8;
/** Where every node holds every partition, a batch is bounded by rows and bytes alone. */
export const SHARED_PARTITIONS = MAX_ROWS;

const sizeOf = (s: Stmt) => s.params.reduce<number>((n, p) => n + (typeof p === 'string' ? p.length : 8), 64);

/** Cuts statements into batches: same-partition statements together, small partitions packed. */
export function packBatches(stmts: readonly Stmt[], maxPartitions = SPREAD_PARTITIONS): Stmt[][] {
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
      if (i < group.length || open.length >= MAX_ROWS || openParts >= maxPartitions || openBytes >= MAX_BYTES) flush();
    }
  }
  flush();
  return out;
}

/** A keyspace's replication as the driver's metadata gives it. */
export interface Replication {
  strategy?: string;
  strategyOptions?: Record<string, string>;
}

/**
 * Whether every node of each data centre is a replica of every partition: the replication factor
 * there is at least the number of nodes there (`3/1`, transient replicas, counts its first figure).
 */
export function holdsAll(ks: Replication | undefined, hosts: readonly { datacenter: string }[]): boolean {
  const rf = ks?.strategyOptions;
  if (!rf || hosts.length === 0) return false;
  if (ks.strategy?.endsWith('SimpleStrategy')) return Number.parseInt(rf['replication_factor'] ?? '0', 10) >= hosts.length;
  const nodesByDc = new Map<string, number>();
  for (const h of hosts) nodesByDc.set(h.datacenter, (nodesByDc.get(h.datacenter) ?? 0) + 1);
  return [...nodesByDc].every(([dc, n]) => Number.parseInt(rf[dc] ?? '0', 10) >= n);
}

export function everyNodeHoldsAll(client: cassandra.Client, keyspace: string): boolean {
  return holdsAll(client.metadata.keyspaces[keyspace] as Replication | undefined, client.hosts.values());
}

export async function executeGrouped(client: cassandra.Client, limit: Limiter, stmts: readonly Stmt[], options: cassandra.QueryOptions, maxPartitions = SPREAD_PARTITIONS): Promise<void> {
  if (stmts.length === 0) return;
  await Promise.all(packBatches(stmts, maxPartitions).map((batch) => limit(() => (batch.length === 1
    ? client.execute(batch[0]!.query, batch[0]!.params, options)
    : client.batch(batch.map((s) => ({ query: s.query, params: s.params })), { ...options, logged: false })))));
}
