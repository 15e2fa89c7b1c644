// Splits a batch into rounds whose items touch distinct keys, so each round can be planned from
// one read of the state before it; rounds run in order, so a key's writes apply in input order.
export function rounds<T>(items: readonly T[], keysOf: (item: T) => readonly string[]): number[][] {
  const out: { taken: Set<string>; idx: number[] }[] = [];
  const lastRoundOf = new Map<string, number>();
  items.forEach((item, i) => {
    const keys = keysOf(item);
    // After the last round that touched any of its keys, so writes to one key keep their order.
    let r = 0;
    for (const k of keys) r = Math.max(r, (lastRoundOf.get(k) ?? -1) + 1);
    while (out.length <= r) out.push({ taken: new Set(), idx: [] });
    out[r]!.idx.push(i);
    for (const k of keys) {
      out[r]!.taken.add(k);
      lastRoundOf.set(k, r);
    }
  });
  return out.map((o) => o.idx);
}
