// Parallel full-table scans on Cassandra: the Murmur3 token ring cut into disjoint inclusive
// ranges (each read with `token(key) >= ? AND token(key) <= ?`, paged), read a few at a time and
// merged in arrival order. Each range holds at most one page ahead of its consumer.
import cassandra from 'cassandra-driver';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

/** `n` contiguous, disjoint ranges [lo, hi] covering every token (as driver Longs). */
export function tokenRanges(n: number): [cassandra.types.Long, cassandra.types.Long][] {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`Expected \`ranges\` to be an integer ≥ 1, got \`${n}\``);
  const span = (MAX - MIN + 1n) / BigInt(n);
  const out: [cassandra.types.Long, cassandra.types.Long][] = [];
  for (let i = 0n; i < BigInt(n); i++) {
    const lo = MIN + i * span;
    const hi = i === BigInt(n) - 1n ? MAX : lo + span - 1n;
    out.push([cassandra.types.Long.fromString(lo.toString()), cassandra.types.Long.fromString(hi.toString())]);
  }
  return out;
}

/** Every item of every source, at most `parallel` sources read at once, in arrival order. */
export async function* mergeUnordered<T>(sources: readonly (() => AsyncIterable<T>)[], parallel: number): AsyncIterable<T> {
  type Pending = Promise<[number, IteratorResult<T>]>;
  const live = new Map<number, { it: AsyncIterator<T>; next: Pending }>();
  let started = 0;
  const arm = (k: number, it: AsyncIterator<T>) => live.set(k, { it, next: it.next().then((r): [number, IteratorResult<T>] => [k, r]) });
  const startMore = () => {
    while (live.size < parallel && started < sources.length) {
      const k = started++;
      arm(k, sources[k]!()[Symbol.asyncIterator]());
    }
  };
  try {
    startMore();
    while (live.size > 0) {
      const [k, r] = await Promise.race([...live.values()].map((s) => s.next));
      const s = live.get(k)!;
      if (r.done) {
        live.delete(k);
        startMore();
        continue;
      }
      arm(k, s.it); // read its next page while this one is consumed
      yield r.value;
    }
  } finally {
    for (const s of live.values()) {
      s.next.catch(() => undefined);
      void s.it.return?.()?.catch(() => undefined);
    }
  }
}
