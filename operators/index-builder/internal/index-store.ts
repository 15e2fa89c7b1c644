// The IndexStore port: what the content index needs from storage, and nothing of LMDB or Redis.
// Band keys and tokens are opaque strings to a store; the index logic lives in content-index.ts.

export interface StoredText {
  text: string;
  tokens: string[];
}

export interface IndexStore {
  /**
   * Set the pHash of a content, replacing any previous one, and file the content under each of
   * `bandKeys` (and no longer under the previous hash's keys). Idempotent; atomic per content.
   * Band members are stored as `${phash}:${sign}` so a query needs no second round trip.
   */
  putPhash(sign: string, phash: string, bandKeys: readonly string[]): Promise<void>;
  getPhash(sign: string): Promise<string | null>;
  /** Members (`${phash}:${sign}`) filed under any of these band keys, deduplicated. */
  bandMembers(bandKeys: readonly string[]): Promise<string[]>;
  /** Every (sign, phash), in pages of at most `pageSize`; order is unspecified. */
  scanPhashes(pageSize?: number): AsyncIterable<[sign: string, phash: string][]>;
  /** Set the text of a content and its posting lists, replacing the previous ones. Atomic per content. */
  putText(sign: string, text: StoredText): Promise<void>;
  getText(sign: string): Promise<StoredText | null>;
  /** For each token, the signs whose text contains it (an empty list when none). */
  postings(tokens: readonly string[]): Promise<Map<string, string[]>>;
  stats(): Promise<{ phashes: number; texts: number }>;
  close(): Promise<void>;
}
