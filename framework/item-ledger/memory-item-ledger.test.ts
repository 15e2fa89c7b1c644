import { itemLedgerContract } from '../testing/item-ledger-contract.ts';
import { createMemoryItemLedger } from './index.ts';

itemLedgerContract('memory', async ({ now, retentionMs }) => createMemoryItemLedger({ now, retentionMs }));
