// One partition's chunks started and not yet committed, in offset order. Both buses start a
// partition's chunks through it: a slow chunk never holds back the ones behind it while a slot
// is free, offsets are committed in order only past chunks that resolved, and a failed chunk
// rewinds the partition once every chunk started after it settled (their work is redone:
// at-least-once).

/**
 * Chunks a partition may have started but not committed, per slot of its concurrency: a slow
 * chunk lets the others run past it up to this far (all of them are redone if the process dies).
 */
const UNCOMMITTED_PER_SLOT = 16;

interface Chunk<O> {
  first: O;
  /** The offset after its last message: committed once it and every chunk before it resolved. */
  after: O;
  settled: boolean;
  failed: boolean;
  done: Promise<void>;
}

export interface ChunkWindowHooks<O> {
  /** Every chunk up to `after` resolved. */
  commit(after: O): void;
  /** The chunk starting at `first` failed and the chunks after it settled: deliver from `first` again. */
  rewind(first: O): Promise<void>;
  /** A chunk settled or a rewind ended: a slot may be free. */
  settled?(): void;
}

export class ChunkWindow<O> {
  private readonly running: Chunk<O>[] = [];
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  /** Set while the partition is rewound to a failed chunk; resolves once it is. */
  rewound: Promise<void> | undefined;

  constructor(private readonly concurrency: number, private readonly hooks: ChunkWindowHooks<O>) {}

  get hasSlot(): boolean {
    return this.rewound === undefined && this.inFlight < this.concurrency && this.running.length < this.concurrency * UNCOMMITTED_PER_SLOT;
  }

  /** Nothing started and uncommitted: the next chunk starts at the committed offset. */
  get empty(): boolean {
    return this.running.length === 0;
  }

  /** Starts a chunk; `handle` rejecting marks it failed. */
  start(first: O, after: O, handle: () => Promise<void>): void {
    const chunk: Chunk<O> = { first, after, settled: false, failed: false, done: Promise.resolve() };
    this.inFlight += 1;
    this.running.push(chunk);
    chunk.done = handle().catch(() => {
      chunk.failed = true;
    }).finally(() => {
      chunk.settled = true;
      this.inFlight -= 1;
      this.advance();
      this.wake();
    });
  }

  /** Resolves when a chunk settles (a slot may be free), or after `ms`. */
  settledOrAfter(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  /** Wakes whoever waits for a slot (closing: they look again and stop). */
  wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const f of waiting) f();
    this.hooks.settled?.();
  }

  /** Resolves once every chunk started so far settled and any rewind ended. */
  async drain(): Promise<void> {
    while (this.running.length > 0 || this.rewound) await Promise.all([...this.running.map((c) => c.done), this.rewound]);
  }

  private advance(): void {
    while (this.rewound === undefined && this.running[0]?.settled) {
      const head = this.running.shift()!;
      if (head.failed) {
        const after = this.running.splice(0);
        this.rewound = Promise.all(after.map((c) => c.done)).then(() => this.hooks.rewind(head.first)).finally(() => {
          this.rewound = undefined;
          this.wake();
        });
        return;
      }
      this.hooks.commit(head.after);
    }
  }
}
