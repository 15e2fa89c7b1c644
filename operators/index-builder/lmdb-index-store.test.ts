import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openLmdbIndexStore, type IndexStore } from './index.ts';
import { indexStoreContract } from './internal/index-store-contract.ts';

const dirs: string[] = [];
const paths = new WeakMap<IndexStore, string>();
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

indexStoreContract('lmdb', {
  async make() {
    const dir = mkdtempSync(join(tmpdir(), 'quarry-index-'));
    dirs.push(dir);
    const store = openLmdbIndexStore({ path: dir });
    paths.set(store, dir);
    return store;
  },
  async reopen(store) {
    const dir = paths.get(store)!;
    await store.close();
    const again = openLmdbIndexStore({ path: dir });
    paths.set(again, dir);
    return again;
  },
});
