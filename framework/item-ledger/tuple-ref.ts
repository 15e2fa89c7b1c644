// Where an item's state lives. Every per-item key — the ledger's hashes and the tuple in the
// side-cache — carries the hash tag `{<dag>#<bucket>}`, the bucket a hash of the message id. On
// Redis Cluster one item's keys therefore share a slot (each script touches one slot), while a
// DAG's items spread over BUCKETS slots; per-DAG counters and the in-flight index are kept per
// bucket under the same tag, so no per-item script ever touches a cluster-wide key.
export const BUCKETS = 64;

export function bucketOf(messageId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i++) {
    h ^= messageId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

export const bucketTag = (dag: string, bucket: number): string => `{${dag}#${bucket}}`;

/** The side-cache key of an item's tuple (its hash tag included). */
export const tupleRefOf = (dag: string, messageId: string): string => `${bucketTag(dag, bucketOf(messageId))}${messageId}`;
