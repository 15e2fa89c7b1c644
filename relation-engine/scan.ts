// The ordered scan: the C buckets are cut into ranges that are read and resolved in parallel
// (each range a pipeline of batches), and handed out in bucket order. Each range buffers at most
// `ahead` resolved batches, so memory is bounded by parallelism × batch size, not by the graph.
import type { RelationStore } from './relation-store.ts';
import { PageCache, relateMany, type ContentRelation } from './queries.ts';

export interface ScanOptions {
  /** Bucket ranges read at once (default 1: one sequential pipeline). */
  parallel?: number;
  /** Contents per batch (default 256). */
  batchSize?: number;
  /** Only buckets [fromBucket, toBucket). */
  fromBucket?: number;
  toBucket?: number;
}

/** Every content in buckets [from, to) with its validated relation, a batch at a time, in scan order. */
export async function* scanBatches(store: RelationStore, o: ScanOptions = {}): AsyncIterable<ContentRelation[]> {
  const from = o.fromBucket ?? 0;
  const to = Math.min(o.toBucket ?? store.buckets, store.buckets);
  const parallel = Math.max(1, o.parallel ?? 1);
  const batchSize = o.batchSize ?? 256;
  const pages = new PageCache();
  if (parallel === 1) {
    for await (const batch of store.scanContents({ fromBucket: from, toBucket: to, batchSize })) {
      const rel = (await relateMany(store, batch, pages)).filter((r) => r !== undefined);
      if (rel.length > 0) yield rel;
    }
    return;
  }
  // More, smaller ranges than workers, so one large range does not leave the others idle.
  const step = Math.max(1, Math.ceil((to - from) / (parallel * 4)));
  const ranges: [number, number][] = [];
  for (let b = from; b < to; b += step) ranges.push([b, Math.min(b + step, to)]);
  const started: RangeReader[] = [];
  let next = 0;
  // At most `parallel` ranges open at once: the one being handed out and those after it.
  const startMore = (current: number) => {
    while (next < ranges.length && next - current < parallel) {
      const [a, z] = ranges[next++]!;
      started.push(new RangeReader(store, a, z, batchSize, pages));
    }
  };
  try {
    for (let i = 0; i < ranges.length; i++) {
      startMore(i);
      const reader = started[i]!;
      for (;;) {
        const batch = await reader.take();
        if (batch === undefined) break;
        if (batch.length > 0) yield batch;
      }
    }
  } finally {
    for (const r of started) r.stop();
  }
}

/** Reads one bucket range ahead of its consumer, holding at most `ahead` batches. */
class RangeReader {
  private done = false;
  private readonly ready: ContentRelation[][] = [];
  private error: unknown;
  private stopped = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(store: RelationStore, from: number, to: number, batchSize: number, pages: PageCache, private readonly ahead = 4) {
    void this.run(store, from, to, batchSize, pages);
  }

  private async run(store: RelationStore, from: number, to: number, batchSize: number, pages: PageCache): Promise<void> {
    try {
      for await (const batch of store.scanContents({ fromBucket: from, toBucket: to, batchSize })) {
        if (this.stopped) break;
        this.ready.push((await relateMany(store, batch, pages)).filter((r) => r !== undefined));
        this.wakeConsumer?.();
        while (this.ready.length >= this.ahead && !this.stopped) await new Promise<void>((r) => (this.wakeProducer = r));
      }
    } catch (err) {
      this.error = err;
    }
    this.done = true;
    this.wakeConsumer?.();
  }

  /** The next batch, or undefined when the range is exhausted. */
  async take(): Promise<ContentRelation[] | undefined> {
    for (;;) {
      if (this.error !== undefined) throw this.error;
      const b = this.ready.shift();
      if (b) {
        this.wakeProducer?.();
        return b;
      }
      if (this.done) return undefined;
      await new Promise<void>((r) => (this.wakeConsumer = r));
    }
  }

  stop(): void {
    this.stopped = true;
    this.wakeProducer?.();
  }
}
