// The relation-writer operators: the DAG nodes that record crawl results in the relation graph.
// Each is batch-native: the miner's batch is one engine write (one batched read, one write set),
// with one answer per item; a store that is unreachable is backpressure (the item waits, its
// attempts unspent), never a dead letter.
import { z } from 'zod';
import { defineOperator, blobRef, type BatchItem, type FieldDecls } from '../../framework/operator-sdk/index.ts';
import { FilteredError, NonRetryableError } from '../../framework/errors/index.ts';
import type { LinkInput, RelationEngine } from '../../relation-engine/index.ts';
import { canonicalOf } from './internal/canonical.ts';
import { createStoreGuard } from './internal/store-errors.ts';

export interface RelationWriterDeps {
  engine: RelationEngine;
  /** Back-off asked for when the store fails for another reason (the attempt counts). */
  retryAfterMs?: number;
  /** Items per engine batch at most (default 256). */
  maxBatch?: number;
  /** Engine batches in flight at once per operator (default 4). */
  concurrency?: number;
}

const imageSchema = z.object({
  url: z.string().min(1), alt: z.string().default(''), title: z.string().default(''), context: z.string().default(''),
});
const depthSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).optional().describe('crawl depth (from the item source)');
const toInt = (v: number | string | undefined) => (v === undefined ? undefined : Number(v));
const OK = {};
type Answer = typeof OK | Error;

const pageInputs = {
  url: z.string().min(1).describe('the page URL as crawled'),
  finalUrl: z.string().min(1).optional().describe('the URL after redirects'),
  canonicalUrl: z.string().min(1).optional().describe('the page\'s <link rel=canonical>, honoured within the same site'),
  title: z.string(),
  pageType: z.string(),
  contentHash: z.string(),
  fetchedAtMs: z.number().int().nonnegative(),
  images: z.array(imageSchema).describe('the image links on the page, with alt, title and surrounding text'),
  etag: z.string().optional().describe('validators for the next conditional GET'),
  lastModified: z.string().optional(),
  depth: depthSchema,
  maxDepth: depthSchema,
};

const linkInputs = {
  url: z.string().min(1).describe('the image link'),
  linkStatus: z.enum(['alive', 'dead']),
  deadReason: z.string().optional(),
  contentSign: z.string().min(1).optional(),
  notModified: z.boolean().optional().describe('a conditional GET answered 304: the link still serves its content'),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  fetchedAtMs: z.number().int().nonnegative(),
};

const validators = (i: { etag?: string | undefined; lastModified?: string | undefined }) => ({
  ...(i.etag !== undefined ? { etag: i.etag } : {}), ...(i.lastModified !== undefined ? { lastModified: i.lastModified } : {}),
});

type Items<I extends FieldDecls> = readonly BatchItem<I>[];

export function createRelationWriterOperators({ engine, retryAfterMs = 2_000, maxBatch = 256, concurrency = 4 }: RelationWriterDeps) {
  const guard = createStoreGuard(retryAfterMs);
  const sizing = { maxBatch, concurrency };

  const page = defineOperator({
    name: 'relation-page',
    version: '1.2.0',
    description: 'Records a crawled page (f vertex, keyed by its canonical URL, with its aliases) and the image links it shows now (fo edges)',
    inputs: pageInputs,
    outputs: {},
    ...sizing,
    async batchHandler(items: Items<typeof pageInputs>) {
      const writes = items.map(({ input }) => {
        const { url, aliases } = canonicalOf(input.url, input.finalUrl, input.canonicalUrl);
        const visit = {
          ...validators(input),
          ...(input.depth !== undefined ? { depth: toInt(input.depth)! } : {}), ...(input.maxDepth !== undefined ? { maxDepth: toInt(input.maxDepth)! } : {}),
        };
        return {
          url, aliases, ...(input.finalUrl !== undefined ? { finalUrl: input.finalUrl } : {}),
          title: input.title, pageType: input.pageType, contentHash: input.contentHash,
          links: input.images, crawledAtMs: input.fetchedAtMs, visit,
        };
      });
      const results = await guard.batch(writes.length, () => engine.upsertPages(writes));
      return results.map((r): Answer => (r instanceof Error ? r : r.applied ? OK : new FilteredError('stale-crawl', 'a newer crawl of this page is already recorded')));
    },
  });

  const link = defineOperator({
    name: 'relation-link',
    version: '1.2.0',
    description: 'Records an image link alive or dead (o vertex), the content it serves (oc edge) and when to fetch it again',
    inputs: linkInputs,
    outputs: {},
    ...sizing,
    async batchHandler(items: Items<typeof linkInputs>) {
      const out: Answer[] = new Array(items.length);
      // What each written item ends as once its write applied.
      const writes: { i: number; input: LinkInput; then: Error | 'check-content' }[] = [];
      items.forEach(({ input }, i) => {
        const base = { url: input.url, crawledAtMs: input.fetchedAtMs, visit: validators(input) };
        if (input.linkStatus === 'dead') {
          const reason = input.deadReason ?? 'unknown';
          writes.push({ i, input: { ...base, alive: false, reason }, then: new FilteredError(`dead-link:${reason}`) });
        } else if (input.notModified === true) {
          writes.push({ i, input: { ...base, alive: true }, then: new FilteredError('unchanged', `${input.url} is not modified since its last fetch`) });
        } else if (input.contentSign === undefined) {
          out[i] = new NonRetryableError('an alive link needs `contentSign`', { code: 'RELATION_BAD_INPUT' });
        } else {
          writes.push({ i, input: { ...base, alive: true, contentSign: input.contentSign }, then: 'check-content' });
        }
      });
      const results = await guard.batch(writes.length, () => engine.markLinks(writes.map((w) => w.input)));
      const check: { i: number; sign: string }[] = [];
      writes.forEach((w, k) => {
        const r = results[k]!;
        if (r instanceof Error) out[w.i] = r;
        else if (w.then !== 'check-content') out[w.i] = w.then;
        else if (!r.applied) out[w.i] = new FilteredError('stale-crawl', 'a newer fetch of this link is already recorded');
        else check.push({ i: w.i, sign: w.input.contentSign! });
      });
      // Checked here, not trusted from the spider: the engine is the authority on features.
      const known = await guard.batch(check.length, () => engine.contentsHaveFeatures(check.map((c) => c.sign)));
      check.forEach((c, k) => {
        const r = known[k]!;
        out[c.i] = r instanceof Error ? r : r ? new FilteredError('known-content') : OK;
      });
      return out;
    },
  });

  const contentInputs = {
    contentSign: z.string().min(1),
    width: z.number().int().nonnegative(),
    height: z.number().int().nonnegative(),
    format: z.string(),
    clarity: z.number(),
    phash: z.string(),
    dominantColor: z.string(),
    thumbnail: blobRef('the thumbnail in the blob store; only its reference is recorded'),
  };
  const content = defineOperator({
    name: 'relation-content',
    version: '1.2.0',
    description: 'Records an image content\'s features and thumbnail reference (c vertex), the reference counted per tenant',
    inputs: contentInputs,
    outputs: {},
    ...sizing,
    async batchHandler(items: Items<typeof contentInputs>) {
      const writes = items.map(({ input: i, ctx }) => ({
        sign: i.contentSign, thumbnailRef: i.thumbnail, tenant: ctx.trigger.tenant,
        features: { width: i.width, height: i.height, format: i.format, clarity: i.clarity, phash: i.phash, dominantColor: i.dominantColor },
      }));
      return (await guard.batch(writes.length, () => engine.upsertContents(writes))).map((r): Answer => r ?? OK);
    },
  });

  const ocrInputs = {
    contentSign: z.string().min(1),
    ocrText: z.string(),
    ocrLines: z.array(z.object({ text: z.string() }).passthrough()).optional(),
  };
  const ocr = defineOperator({
    name: 'relation-ocr',
    version: '1.2.0',
    description: 'Records an image content\'s OCR text and lines (c vertex)',
    inputs: ocrInputs,
    outputs: {},
    ...sizing,
    async batchHandler(items: Items<typeof ocrInputs>) {
      const writes = items.map(({ input: i }) => ({ sign: i.contentSign, ocrText: i.ocrText, ...(i.ocrLines !== undefined ? { ocrLines: i.ocrLines } : {}) }));
      return (await guard.batch(writes.length, () => engine.upsertContents(writes))).map((r): Answer => r ?? OK);
    },
  });

  return { page, link, content, ocr, all: [page, link, content, ocr] as const };
}
