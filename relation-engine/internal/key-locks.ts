// Serializes the read–plan–apply of writes that share a key within one process. A write plans
// from a read of the state before it (is this content new? was this link alive?), so two
// concurrent batches touching one key would both plan from the same read: a content shared by
// two image links counted twice, one link's edge change lost. Each key keeps a FIFO of holders;
// a caller takes all its keys at once (one synchronous step), so waits follow the order of
// arrival and never form a cycle.
export class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const before = unique.flatMap((k) => {
      const t = this.tails.get(k);
      return t ? [t] : [];
    });
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    for (const k of unique) this.tails.set(k, mine);
    try {
      await Promise.all(before);
      return await fn();
    } finally {
      release();
      for (const k of unique) if (this.tails.get(k) === mine) this.tails.delete(k);
    }
  }

  /** Keys currently held or awaited (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
