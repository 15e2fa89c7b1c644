// What the export's parent and its threads say to each other.
export interface ThreadBoot {
  /** The thread's module (for thread-entry.mjs). */
  script: string;
  spec: string;
  batchSize: number;
  /** Chunks a thread may have posted and not had acknowledged. */
  ahead: number;
}

/** One slice of the scan: a bucket, or the signs [signFrom, signTo) of one. */
export interface Slice {
  bucket: number;
  signFrom?: string;
  signTo?: string;
}

export type ToThread = { range: number; slice: Slice } | { credit: number } | { stop: true };

export type FromThread =
  | { ready: true }
  | { range: number; bytes: Uint8Array; contents: number }
  | { range: number; done: true }
  | { error: string };
