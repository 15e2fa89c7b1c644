// A chaining miner's bound on one node's own work (claim to commit), its declared concurrency in
// items: a batch waits until its items fit, high priority before normal, in arrival order within
// a priority. A batch frees its slots when it committed, before it hands anything on, so no
// batch holds one node's slots while it waits for another's.

interface Waiter {
  n: number;
  high: boolean;
  go: () => void;
}

export class ChainSlots {
  private used = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly capacity: number) {}

  /** Take `n` slots (a batch larger than the capacity takes all of them). */
  async acquire(n: number, high: boolean): Promise<number> {
    const take = Math.min(n, this.capacity);
    if (this.waiting.length === 0 && this.used + take <= this.capacity) {
      this.used += take;
      return take;
    }
    await new Promise<void>((go) => {
      const w: Waiter = { n: take, high, go };
      const at = high ? this.waiting.findIndex((x) => !x.high) : -1;
      if (at === -1) this.waiting.push(w);
      else this.waiting.splice(at, 0, w);
    });
    return take;
  }

  release(n: number): void {
    this.used -= n;
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.n <= this.capacity) {
      const w = this.waiting.shift()!;
      this.used += w.n;
      w.go();
    }
  }
}
