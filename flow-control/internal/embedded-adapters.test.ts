import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backlogContract } from '../backlog-contract.ts';
import { deferredStoreContract } from '../deferred-store-contract.ts';
import { createMemoryIntakeCounts } from '../intake-counts.ts';
import { intakeCountsContract } from '../intake-counts-contract.ts';
import { createTenantQuotas, memoryQuotaStore, type QuotaConfig, type TenantQuotaStore } from '../tenant-quotas.ts';
import { createLmdbBacklog } from './lmdb-backlog.ts';
import { createLmdbDeferredStore } from './lmdb-deferred-store.ts';
import { createMemoryBacklogStore } from './memory-backlog.ts';
import { createMemoryDeferredStoreState } from './memory-deferred-store.ts';

let mem = createMemoryBacklogStore();
backlogContract('memory', { open: async () => mem.open(), reset: async () => { mem = createMemoryBacklogStore(); } });

let memD = createMemoryDeferredStoreState();
deferredStoreContract('memory', { open: async () => memD.open(), reset: async () => { memD = createMemoryDeferredStoreState(); } });

const dirs: string[] = [];
const fresh = () => { const d = mkdtempSync(join(tmpdir(), 'quarry-gate-')); dirs.push(d); return d; };
let dir = fresh();
backlogContract('lmdb', { open: async () => createLmdbBacklog({ path: dir }), reset: async () => { dir = fresh(); },
  cleanup: async () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); } });
let ddir = fresh();
deferredStoreContract('lmdb', { open: async () => createLmdbDeferredStore({ path: ddir }), reset: async () => { ddir = fresh(); } });

intakeCountsContract('memory', {
  open: async ({ leaseMs }) => {
    const quotas = new Map<QuotaConfig, TenantQuotaStore>();
    return {
      counts: createMemoryIntakeCounts({ leaseMs }),
      quotas: (cfg) => { let q = quotas.get(cfg); if (!q) { q = memoryQuotaStore(createTenantQuotas(cfg)); quotas.set(cfg, q); } return q; },
      close: async () => {},
    };
  },
});
