// Store specs as users type them: `embedded:<dir>` (LMDB) or `redis:<redis-url>`.
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../../../framework/errors/index.ts';
import type { IndexStore } from './index-store.ts';
import { openLmdbIndexStore } from './lmdb-index-store.ts';
import { openRedisIndexStore } from './redis-index-store.ts';

export const DEFAULT_INDEX_STORE = 'embedded:.quarry/index';

export function openIndexStore(spec: string = DEFAULT_INDEX_STORE, options: { keyPrefix?: string } = {}): IndexStore {
  if (spec.startsWith('embedded:') && spec.length > 'embedded:'.length) {
    const path = spec.slice('embedded:'.length);
    mkdirSync(path, { recursive: true });
    return openLmdbIndexStore({ path });
  }
  if (spec.startsWith('redis:')) {
    const url = spec.slice('redis:'.length);
    if (/^rediss?:\/\/./.test(url)) return openRedisIndexStore({ url, ...options });
  }
  throw new ConfigError([{ field: 'store', expected: '`embedded:<dir>` or `redis:redis://host:port[/db]`', received: spec }], 'index store');
}
