import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { itemLedgerContract } from '../testing/index.ts';
import { createMemorySideCache, type SideCache } from '../side-cache/index.ts';
import { createMemoryItemLedger } from './index.ts';

itemLedgerContract('memory', async ({ now, retentionMs }) => {
  const sideCache = createMemorySideCache();
  return { ledger: createMemoryItemLedger({ sideCache, now, ...(retentionMs ? { retentionMs } : {}) }), sideCache };
});

describe('memory item ledger specifics', () => {
  it('refuses a side-cache it cannot keep tuples in, naming the option', () => {
    const elsewhere: SideCache = { ...createMemorySideCache() };
    for (const key of Object.getOwnPropertySymbols(elsewhere)) delete (elsewhere as unknown as Record<symbol, unknown>)[key];
    assert.throws(() => createMemoryItemLedger({ sideCache: elsewhere }), /Expected `sideCache` to be the memory side-cache/);
  });
});
