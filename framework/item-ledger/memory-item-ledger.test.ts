import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { itemLedgerContract } from '../testing/index.ts';
import { createRedisSideCache, createMemorySideCache } from '../side-cache/index.ts';
import { createMemoryItemLedger } from './index.ts';

itemLedgerContract('memory', async ({ now, retentionMs }) => {
  const sideCache = createMemorySideCache();
  return { ledger: createMemoryItemLedger({ sideCache, now, ...(retentionMs ? { retentionMs } : {}) }), sideCache };
});

describe('memory item ledger specifics', () => {
  it('refuses a side-cache it cannot keep tuples in, naming the option', () => {
    assert.throws(() => createMemoryItemLedger({ sideCache: createRedisSideCache({ redis: 'redis://127.0.0.1:1', namespace: 'x' }) }), /Expected `sideCache` to be the memory side-cache/);
  });
});
