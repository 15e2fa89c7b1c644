// Coalesces concurrent per-item calls into batches: the miner hands the writer up to a node's
// concurrency of items at once, and each batch becomes one engine write (one read, one write set).
// A batch leaves when it is full or when the current turn of the event loop ends.

export interface Batcher<I, R> {
  add(item: I): Promise<R>;
}

export function createBatcher<I, R>(run: (items: I[]) => Promise<(R | Error)[]>, o: { maxBatch?: number } = {}): Batcher<I, R> {
  const maxBatch = o.maxBatch ?? 256;
  let pending: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    run(batch.map((p) => p.item)).then(
      (results) => batch.forEach((p, i) => {
        const r = results[i];
        if (r instanceof Error) p.reject(r);
        else p.resolve(r as R);
      }),
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
  };
  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= maxBatch) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
