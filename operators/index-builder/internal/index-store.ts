// The IndexStore port: what the content index needs from storage, and nothing of LMDB or Redis.
// Band keys and tokens are opaque strings to a store; the index logic lives in content-index.ts.

export interface StoredText {
  text: string;
  tokens: string[];
}

export interface PhashEntry {
  sign: string;
  phash: string;
  bandKeys: readonly string[];
}

export interface TextEntry {
  sign: string;
  text: StoredText;
}

export interface IndexStore {
  /**
   * Set the pHash of each content, replacing any previous one, and file the content under each
   * of its `bandKeys` (and no longer under the previous hash's keys). Idempotent; atomic per
   * content; entries apply in order (a sign given twice ends as its last entry); one round trip
   * (one transaction, one script) per call. Band members are stored as `${phash}:${sign}` so a
   * query needs no second round trip.
   */
  putPhashes(entries: readonly PhashEntry[]): Promise<void>;
  getPhash(sign: string): Promise<string | null>;
  /** Members (`${phash}:${sign}`) filed under any of these band keys, deduplicated. */
  bandMembers(bandKeys: readonly string[]): Promise<string[]>;
  /** Every (sign, phash), in pages of at most `pageSize`; order is unspecified. */
  scanPhashes(pageSize?: number): AsyncIterable<[sign: string, phash: string][]>;
  /** Set the text of each content and its posting lists, replacing the previous ones; as putPhashes. */
  putTexts(entries: readonly TextEntry[]): Promise<void>;
  getText(sign: string): Promise<StoredText | null>;
  /** For each token, the signs whose text contains it (an empty list when none). */
  postings(tokens: readonly string[]): Promise<Map<string, string[]>>;
  /**
   * Forget these contents (retired from the relation graph): their pHash, band entries, text and
   * postings. Signs the index does not hold are skipped. Atomic per content; one round trip.
   */
  removeContents(signs: readonly string[]): Promise<void>;
  stats(): Promise<{ phashes: number; texts: number }>;
  close(): Promise<void>;
}
