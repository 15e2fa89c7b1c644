import type { ItemRecord, ItemState, OpenItem } from '../item-ledger.ts';

/** The fields an item keeps from `open` to the end of its retention. */
export type ItemMeta = Pick<ItemRecord, 'dag' | 'messageId' | 'itemKey' | 'createdMs' | 'traceId' | 'parentId' | 'priority' | 'tenant' | 'originId'>;

export function metaOf(item: OpenItem): ItemMeta {
  const meta: ItemMeta = { dag: item.ref.dag, messageId: item.ref.messageId, itemKey: item.itemKey, createdMs: item.createdMs };
  for (const field of ['traceId', 'parentId', 'priority', 'tenant', 'originId'] as const) {
    const value = item[field];
    if (value !== undefined) meta[field] = value;
  }
  return meta;
}

export function emptyCounts(): Record<ItemState, number> {
  return { 'in-flight': 0, completed: 0, filtered: 0, 'dead-lettered': 0, quarantined: 0 };
}
