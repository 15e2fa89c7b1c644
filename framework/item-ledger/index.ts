/**
 * The item ledger: per-item coordination (tokens, leases, joins) and the queryable end state of
 * every item — completed, filtered, dead-lettered or quarantined. In memory for the embedded
 * default, Lua scripts over Redis hashes for real deployments.
 *
 *   const ledger = createRedisItemLedger({ redis: 'redis://127.0.0.1:6379', namespace: 'quarry' });
 *   await ledger.open({ ref, itemKey: url, tokens: ['fetch<'], createdMs: Date.now() });
 *   if ((await ledger.claim(ref, 'fetch<', workerId, 30_000)) === 'run') {
 *     await ledger.addTokens(ref, ['link<fetch']);            // before producing them
 *     const { terminal } = await ledger.finish(ref, 'fetch<');
 *   }
 */
export type {
  ClaimResult, EarlyEnd, FinishResult, ItemEvent, ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, TerminalState,
} from './item-ledger.ts';
export { createMemoryItemLedger, type MemoryItemLedgerOptions } from './memory-item-ledger.ts';
export { createRedisItemLedger, type RedisItemLedgerOptions } from './redis-item-ledger.ts';
