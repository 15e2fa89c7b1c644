// Store specs as users type them: `embedded:<dir>` (LMDB) or `redis:<redis-url>`.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, QuarryError } from '../../../framework/errors/index.ts';
import type { IndexStore } from './index-store.ts';
import { openLmdbIndexStore } from './lmdb-index-store.ts';
import { openRedisIndexStore } from './redis-index-store.ts';

export const DEFAULT_INDEX_STORE = 'embedded:.quarry/index';

/** `mustExist`: a query opens a store, never creates one; a missing path is an error naming it. */
export function openIndexStore(spec: string = DEFAULT_INDEX_STORE, options: { keyPrefix?: string; mustExist?: boolean } = {}): IndexStore {
  if (spec.startsWith('embedded:') && spec.length > 'embedded:'.length) {
    const path = spec.slice('embedded:'.length);
    if (options.mustExist && !existsSync(join(path, 'data.mdb'))) {
      throw new QuarryError('STORE_MISSING', `No index store at \`${path}\` (${spec}): check the path, or crawl into it first`);
    }
    mkdirSync(path, { recursive: true });
    return openLmdbIndexStore({ path });
  }
  if (spec.startsWith('redis:')) {
    const url = spec.slice('redis:'.length);
    if (/^rediss?:\/\/./.test(url)) return openRedisIndexStore({ url, ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}) });
  }
  throw new ConfigError([{ field: 'store', expected: '`embedded:<dir>` or `redis:redis://host:port[/db]`', received: spec }], 'index store');
}
