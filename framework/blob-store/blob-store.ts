// The blob store port: big payloads (page HTML, image bytes, thumbnails) referenced from tuples.
// References are opaque strings that the store hands out.

export interface PutOptions {
  /**
   * The blob expires this long after it was stored unless deleted first: blobs an item owns get
   * one, so a blob whose item ended in a crash (before it could delete it) does not stay for good.
   */
  ttlMs?: number;
}

export interface BlobStore {
  /** Store bytes under a key the caller chooses (stable keys make retries idempotent). */
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<string>;
  /** The bytes, or `null` when the blob does not exist. */
  get(ref: string): Promise<Uint8Array | null>;
  delete(refs: readonly string[]): Promise<void>;
  /**
   * Deletes each blob unless it was put within the last `idleMs` (by the store's clock), and
   * returns the refs it left in place for that reason; a blob already gone counts as deleted.
   * A put is a lease: a writer that has just put a shared, kept blob (a thumbnail) and is about to
   * record its reference keeps it from a sweep that found no reference a moment before. Blobs put
   * with a TTL belong to one item and are deleted at once.
   */
  deleteIdle(refs: readonly string[], idleMs: number): Promise<string[]>;
  stats(): Promise<{ blobs: number; bytes: number }>;
  close(): Promise<void>;
}
