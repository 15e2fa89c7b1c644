import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyLocks } from './key-locks.ts';

describe('KeyLocks', () => {
  it('runs holders of a shared key one after another, in arrival order', async () => {
    const locks = new KeyLocks();
    const log: string[] = [];
    const job = (name: string, keys: string[], ms: number) => locks.with(keys, async () => {
      log.push(`${name}+`);
      await sleep(ms);
      log.push(`${name}-`);
    });
    await Promise.all([job('a', ['x'], 20), job('b', ['x', 'y'], 5), job('c', ['y'], 1)]);
    assert.deepEqual(log, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    assert.equal(locks.size, 0, 'no key is left held');
  });

  it('lets holders of distinct keys run at once', async () => {
    const locks = new KeyLocks();
    let inside = 0;
    let most = 0;
    const job = (k: string) => locks.with([k], async () => {
      most = Math.max(most, ++inside);
      await sleep(10);
      inside--;
    });
    await Promise.all([job('a'), job('b'), job('c')]);
    assert.equal(most, 3);
  });

  it('releases the keys when the holder throws', async () => {
    const locks = new KeyLocks();
    await assert.rejects(locks.with(['k'], () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await locks.with(['k'], () => Promise.resolve(7)), 7);
    assert.equal(locks.size, 0);
  });
});
