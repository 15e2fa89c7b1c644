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
  stats(): Promise<{ blobs: number; bytes: number }>;
  close(): Promise<void>;
}
