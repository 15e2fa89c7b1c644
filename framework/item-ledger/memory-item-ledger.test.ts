import { itemLedgerContract } from '../testing/index.ts';
import { createMemoryItemLedger } from './index.ts';

itemLedgerContract('memory', async ({ now, retentionMs }) => createMemoryItemLedger({ now, retentionMs }));
