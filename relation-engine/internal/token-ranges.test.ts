import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeUnordered, tokenRanges } from './token-ranges.ts';

test('token ranges cover the whole Murmur3 ring, contiguous and disjoint', () => {
  for (const n of [1, 3, 32]) {
    const r = tokenRanges(n).map(([lo, hi]) => [BigInt(lo.toString()), BigInt(hi.toString())] as const);
    assert.equal(r.length, n);
    assert.equal(r[0]![0], -(2n ** 63n));
    assert.equal(r.at(-1)![1], 2n ** 63n - 1n);
    for (let i = 0; i < n; i++) {
      assert.ok(r[i]![0] <= r[i]![1]);
      if (i > 0) assert.equal(r[i]![0], r[i - 1]![1] + 1n, 'each range starts right after the previous one');
    }
  }
  assert.throws(() => tokenRanges(0), /Expected `ranges` to be an integer ≥ 1, got `0`/);
});

async function* slow(items: number[], log: string[], name: string): AsyncIterable<number> {
  log.push(`${name}:open`);
  for (const i of items) {
    await new Promise((r) => setTimeout(r, 1));
    yield i;
  }
  log.push(`${name}:done`);
}

test('mergeUnordered yields every item of every source, at most `parallel` open at once', async () => {
  const log: string[] = [];
  const sources = [[1, 2, 3], [], [4], [5, 6], [7, 8, 9, 10]].map((items, k) => () => slow(items, log, `s${k}`));
  const got: number[] = [];
  for await (const x of mergeUnordered(sources, 2)) got.push(x);
  assert.deepEqual(got.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  let open = 0;
  let most = 0;
  for (const e of log) {
    open += e.endsWith(':open') ? 1 : -1;
    most = Math.max(most, open);
  }
  assert.equal(most, 2);
});

test('mergeUnordered: a failing source fails the merge, and stopping early closes the others', async () => {
  async function* fails(): AsyncIterable<number> {
    yield 1;
    throw new Error('range read failed');
  }
  let closed = 0;
  async function* endless(): AsyncIterable<number> {
    try {
      for (let i = 0; ; i++) {
        await new Promise((r) => setTimeout(r, 1));
        yield i;
      }
    } finally {
      closed++;
    }
  }
  await assert.rejects(async () => {
    for await (const _ of mergeUnordered([endless, fails], 2)) { /* drain */ }
  }, /range read failed/);
  for await (const x of mergeUnordered([endless, endless], 2)) if (x > 3) break;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, 3, 'every endless source was closed');
});
