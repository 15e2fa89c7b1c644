// The side-cache port: each item's tuple is a hash of named fields (bytes), shared by every
// miner of a DAG. No Redis type appears here.

export type FieldValues = Map<string, Uint8Array>;

export interface FieldRead {
  tupleRef: string;
  fields: readonly string[];
}

export interface SideCacheStats {
  tuples: number;
  bytes: number;
}

export interface SideCache {
  /**
   * Read several tuples' fields in one round trip (pipelined). For each read: `null` when the
   * tuple does not exist at all (lost or never written), else the fields that exist.
   */
  readMany(reads: readonly FieldRead[]): Promise<(FieldValues | null)[]>;
  /** Create or extend a tuple. Writing no fields still creates the tuple. */
  write(tupleRef: string, fields: FieldValues): Promise<void>;
  deleteFields(tupleRef: string, fields: readonly string[]): Promise<void>;
  deleteTuple(tupleRef: string): Promise<void>;
  exists(tupleRef: string): Promise<boolean>;
  /** Tuples and bytes currently held under this cache's namespace. */
  stats(): Promise<SideCacheStats>;
  close(): Promise<void>;
}
