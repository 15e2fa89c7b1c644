// One export thread: opens the store by its spec, reads the slices it is handed, and posts
// each batch as JSON lines (the buffer transferred, not copied). At most `ahead` chunks of a range
// are unacknowledged at once: the parent acknowledges a chunk once it has written it, so a thread
// ahead of the write order waits instead of filling memory.
import { parentPort, workerData } from 'node:worker_threads';
import { openLmdbStore } from './lmdb-store.ts';
import { PageCache, relateMany } from '../queries.ts';
import { encodeBatch } from '../export-jsonl.ts';
import type { FromThread, Slice, ThreadBoot, ToThread } from './export-messages.ts';

const boot = workerData as ThreadBoot;
const port = parentPort!;
const post = (m: FromThread, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let credits = 0;
let creditFor = -1;
let wake: (() => void) | undefined;
const queue: ToThread[] = [];
let next: (() => void) | undefined;
let stopping = false;
port.on('message', (m: ToThread) => {
  if ('credit' in m) {
    if (m.credit === creditFor) credits++;
  } else if ('stop' in m) {
    stopping = true;
  } else {
    queue.push(m);
  }
  wake?.();
  next?.();
});
/** The next range to read, or undefined once told to stop. */
const take = async (): Promise<{ range: number; slice: Slice } | undefined> => {
  for (;;) {
    if (stopping) return undefined;
    const m = queue.shift();
    if (m && 'range' in m) return m;
    await new Promise<void>((r) => (next = r));
  }
};

try {
  // Only the LMDB store's modules load here (not the Cassandra driver): a thread starts faster.
  if (!boot.spec.startsWith('embedded:')) throw new TypeError(`Expected an embedded store spec, got \`${boot.spec}\``);
  const store = await openLmdbStore({ path: boot.spec.slice('embedded:'.length), mustExist: true });
  try {
    const pages = new PageCache();
    post({ ready: true });
    for (let m = await take(); m; m = await take()) {
      creditFor = m.range;
      credits = boot.ahead;
      const { bucket, ...signs } = m.slice;
      for await (const records of store.scanContents({ fromBucket: bucket, toBucket: bucket + 1, batchSize: boot.batchSize, ...signs })) {
        const batch = (await relateMany(store, records, pages)).filter((r) => r !== undefined);
        while (credits === 0 && !stopping) await new Promise<void>((r) => (wake = r));
        if (stopping) break;
        if (batch.length === 0) continue;
        credits--;
        const { bytes, contents } = encodeBatch(batch);
        const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
        post({ range: m.range, bytes: owned, contents }, [owned.buffer as ArrayBuffer]);
      }
      if (!stopping) post({ range: m.range, done: true });
    }
  } finally {
    await store.close(); // its read transactions end with it
  }
} catch (err) {
  post({ error: (err as Error).stack ?? String(err) });
} finally {
  port.close(); // nothing keeps the thread alive: it exits
}
