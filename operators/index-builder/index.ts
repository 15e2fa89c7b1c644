/**
 * index-builder: an index of image contents — near-duplicate groups by pHash Hamming distance
 * (multi-index hashing over 4 × 16-bit bands, exact at any threshold) and lookup by OCR text
 * (an inverted index over normalised tokens; CJK as character bigrams). Storage is an
 * `IndexStore`: embedded LMDB (`embedded:<dir>`) or Redis (`redis:<url>`).
 *
 *   const store = openIndexStore('embedded:.quarry/index');
 *   const op = createIndexBuilderOperator({ store });           // the DAG's `index` node (batch-native)
 *   await op.batchHandler([{ input: { contentSign, phash: '8f3c5a1e9d07b264' }, ctx }], batch);
 *   const index = createContentIndex({ store });
 *   await index.nearDuplicates({ phash: '8f3c5a1e9d07b265' }, 6); // [{ sign, phash, distance: 1 }]
 *   await index.groups();                                        // [{ signs: [...], phashes }]
 *   await index.searchText('北京烤鸭');                           // [{ sign, matched, text }]
 */
import { z } from 'zod';
import { defineOperator, type BatchItem } from '../../framework/operator-sdk/index.ts';
import { FilteredError } from '../../framework/errors/index.ts';
import { createContentIndex } from './internal/content-index.ts';
import type { IndexStore } from './internal/index-store.ts';

export type { IndexStore, StoredText } from './internal/index-store.ts';
export { createContentIndex, type ContentIndex, type NearDuplicate, type DuplicateGroup, type TextHit, type NearDuplicateQuery } from './internal/content-index.ts';
export { openLmdbIndexStore } from './internal/lmdb-index-store.ts';
export { openRedisIndexStore } from './internal/redis-index-store.ts';
export { openIndexStore, DEFAULT_INDEX_STORE } from './internal/open-index-store.ts';
export { tokenize } from './internal/tokenize.ts';

const inputs = {
  contentSign: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex content sign').describe('the content sign (sha256 hex)'),
  phash: z.string().regex(/^[0-9a-f]{16}$/, 'a 16-hex-char pHash').optional().describe('64-bit perceptual hash'),
  ocrText: z.string().optional().describe('text read from the image; an empty string clears it'),
};

/** The DAG's `index` node, batch-native: a miner batch is one pHash write and one text write. */
export function createIndexBuilderOperator({ store, maxDistance, maxBatch = 256 }: { store: IndexStore; maxDistance?: number; maxBatch?: number }) {
  const index = createContentIndex({ store, ...(maxDistance === undefined ? {} : { maxDistance }) });
  return defineOperator({
    name: 'index-builder',
    version: '1.1.0',
    description: 'Indexes a content by perceptual hash (near-duplicates) and by OCR text',
    resource: 'cpu',
    inputs,
    outputs: {
      indexedPhash: z.boolean().describe('the pHash was (re)indexed'),
      textTokens: z.number().int().nonnegative().describe('distinct tokens indexed from ocrText'),
    },
    maxBatch,
    concurrency: 2,
    async batchHandler(items: readonly BatchItem<typeof inputs>[]) {
      const phashes: { sign: string; phash: string }[] = [];
      const texts: { i: number; sign: string; text: string }[] = [];
      items.forEach(({ input: { contentSign, phash, ocrText } }, i) => {
        if (phash !== undefined) phashes.push({ sign: contentSign, phash });
        if (ocrText !== undefined) texts.push({ i, sign: contentSign, text: ocrText });
      });
      // Store failures throw: every item of the batch is retried.
      await index.indexPhashes(phashes);
      const tokens = await index.indexTexts(texts);
      const counts = new Map(texts.map((t, k) => [t.i, tokens[k]!]));
      return items.map(({ input: { contentSign, phash, ocrText } }, i) => (phash === undefined && ocrText === undefined
        ? new FilteredError('nothing-to-index', `index-builder got neither \`phash\` nor \`ocrText\` for ${contentSign}`)
        : { indexedPhash: phash !== undefined, textTokens: counts.get(i) ?? 0 }));
    },
  });
}
