/**
 * The item ledger: per-item coordination (tokens, leases, joins) and the queryable end state of
 * every item — completed, filtered, dead-lettered or quarantined. In memory, on disk in an LMDB
 * journal (what embedded runs use: one journal per run, read together by `readRunJournals`), or
 * Lua scripts over Redis hashes for real deployments.
 *
 * A batch is the unit: one call claims a batch of triggers, one commits what was decided.
 *
 *   const ledger = createRedisItemLedger({ redis: 'redis://127.0.0.1:6379', namespace: 'quarry' });
 *   await ledger.open([{ ref, itemKey: url, tokens: ['fetch<'], createdMs: Date.now(), fields }]);
 *   const [claim] = await ledger.claim([{ ref, token: 'fetch<', reads: ['url'] }], { owner, leaseMs: 30_000 });
 *   if (claim.status === 'run') {
 *     await ledger.commit([{ ref, token: 'fetch<', kind: 'advance', writes, successors: ['link<fetch'] }]);
 *     // … then produce the successors' triggers
 *   }
 */
export type {
  Claim, ClaimOutcome, EarlyEnd, ItemEvent, ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, OpenOutcome, Redrive, RedriveOutcome, StalledItem, Step, StepOutcome, TerminalState,
} from './item-ledger.ts';
export { createMemoryItemLedger, type MemoryItemLedgerOptions } from './memory-item-ledger.ts';
export { createRedisItemLedger, type RedisItemLedgerOptions } from './redis-item-ledger.ts';
export { createLmdbItemLedger, type LmdbItemLedgerOptions } from './lmdb-item-ledger.ts';
export { createRunJournal, readRunJournals, type JournalHit, type RunInfo, type RunJournal, type RunJournalOptions, type RunJournals } from './run-journals.ts';
export { tupleRefOf, bucketOf, BUCKETS } from './tuple-ref.ts';
