// Reading an LMDB journal without writing it: LMDB lets any number of processes read while one
// writes, so `quarry trace` reads a journal during its run as well as after it.
import type { ItemRecord } from '../item-ledger.ts';
import { decodeLive, endedRecord, indexKeyOf, itemKeyOf, type StoredKey } from './journal-codec.ts';
import { openTables } from './lmdb-journal.ts';

export interface JournalReader {
  findByKey(dag: string, itemKey: string, tenant?: string): ItemRecord | null;
  /** The latest record of every key the journal indexes (ended ones while retained). */
  latest(): Iterable<ItemRecord>;
  close(): Promise<void>;
}

export function openJournalReader(path: string, now: () => number): JournalReader {
  const { root, tables } = openTables(path, true);
  const recordOf = (dag: string, entry: StoredKey): ItemRecord | null => {
    const key = itemKeyOf(dag, entry.messageId);
    const live = tables.live.get(key);
    if (live) return decodeLive(live).record();
    const ended = tables.ended.get(key);
    return ended && ended.expiresMs > now() ? endedRecord(ended) : null;
  };
  return {
    findByKey(dag, itemKey, tenant) {
      const entry = tables.keys.get(indexKeyOf(dag, tenant, itemKey));
      return entry ? recordOf(dag, entry) : null;
    },
    *latest() {
      for (const { key, value } of tables.keys.getRange()) {
        const record = recordOf(key[0]!, value);
        if (record) yield record;
      }
    },
    close: () => root.close(),
  };
}
