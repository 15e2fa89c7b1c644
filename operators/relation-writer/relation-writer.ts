// The relation-writer operators: the DAG nodes that record crawl results in the relation graph.
// Concurrent items are coalesced into batched engine writes; a store that is unreachable is
// backpressure (the item waits, its attempts unspent), never a dead letter.
import { z } from 'zod';
import { defineOperator, blobRef } from '../../framework/operator-sdk/index.ts';
import { FilteredError, NonRetryableError, RetryLaterError, errorCode, errorMessage } from '../../framework/errors/index.ts';
import type { ContentWrite, LinkInput, PageInput, RelationEngine } from '../../relation-engine/index.ts';
import { createBatcher } from './internal/batcher.ts';
import { canonicalOf } from './internal/canonical.ts';
import { createBackoff, isUnavailable } from './internal/backoff.ts';

export interface RelationWriterDeps {
  engine: RelationEngine;
  /** Back-off asked for when the store fails for another reason (the attempt counts). */
  retryAfterMs?: number;
  /** Items per engine batch at most (default 256). */
  maxBatch?: number;
}

const imageSchema = z.object({
  url: z.string().min(1), alt: z.string().default(''), title: z.string().default(''), context: z.string().default(''),
});
const depthSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).optional().describe('crawl depth (from the item source)');
const toInt = (v: number | string | undefined) => (v === undefined ? undefined : Number(v));

export function createRelationWriterOperators({ engine, retryAfterMs = 2_000, maxBatch }: RelationWriterDeps) {
  const backoff = createBackoff();
  // Bad input can never succeed; an unreachable store is backpressure; anything else is a retry.
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const r = await work();
      backoff.succeeded();
      return r;
    } catch (err) {
      const code = errorCode(err);
      if (code === 'FILTERED' || code === 'NON_RETRYABLE') throw err;
      if (code === 'CONFIG_INVALID') throw new NonRetryableError(errorMessage(err), { code: 'RELATION_BAD_INPUT', cause: err });
      if (isUnavailable(err)) throw new RetryLaterError(backoff.failed(), `relation store unreachable: ${errorMessage(err)}`, { code: 'BACKPRESSURE', cause: err });
      throw new RetryLaterError(retryAfterMs, `relation store: ${errorMessage(err)}`, { code: 'RELATION_STORE_UNAVAILABLE', cause: err });
    }
  };
  const o = maxBatch === undefined ? {} : { maxBatch };
  const pages = createBatcher((items: PageInput[]) => engine.upsertPages(items), o);
  const links = createBatcher((items: LinkInput[]) => engine.markLinks(items), o);
  const contents = createBatcher((items: ContentWrite[]) => engine.upsertContents(items), o);
  const features = createBatcher(async (signs: string[]) => (await engine.store.readContentVertices(signs)).map((v) => v?.features !== undefined), o);

  const page = defineOperator({
    name: 'relation-page',
    version: '1.1.0',
    description: 'Records a crawled page (f vertex, keyed by its canonical URL, with its aliases) and the image links it shows now (fo edges)',
    inputs: {
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
    },
    outputs: {},
    async handler(input) {
      const { url, aliases } = canonicalOf(input.url, input.finalUrl, input.canonicalUrl);
      const visit = {
        ...(input.etag !== undefined ? { etag: input.etag } : {}), ...(input.lastModified !== undefined ? { lastModified: input.lastModified } : {}),
        ...(input.depth !== undefined ? { depth: toInt(input.depth)! } : {}), ...(input.maxDepth !== undefined ? { maxDepth: toInt(input.maxDepth)! } : {}),
      };
      const r = await guard(() => pages.add({
        url, aliases, ...(input.finalUrl !== undefined ? { finalUrl: input.finalUrl } : {}),
        title: input.title, pageType: input.pageType, contentHash: input.contentHash,
        links: input.images, crawledAtMs: input.fetchedAtMs, visit,
      }));
      if (!r.applied) throw new FilteredError('stale-crawl', 'a newer crawl of this page is already recorded');
      return {};
    },
  });

  const link = defineOperator({
    name: 'relation-link',
    version: '1.1.0',
    description: 'Records an image link alive or dead (o vertex), the content it serves (oc edge) and when to fetch it again',
    inputs: {
      url: z.string().min(1).describe('the image link'),
      linkStatus: z.enum(['alive', 'dead']),
      deadReason: z.string().optional(),
      contentSign: z.string().min(1).optional(),
      notModified: z.boolean().optional().describe('a conditional GET answered 304: the link still serves its content'),
      etag: z.string().optional(),
      lastModified: z.string().optional(),
      fetchedAtMs: z.number().int().nonnegative(),
    },
    outputs: {},
    async handler(input) {
      const visit = { ...(input.etag !== undefined ? { etag: input.etag } : {}), ...(input.lastModified !== undefined ? { lastModified: input.lastModified } : {}) };
      if (input.linkStatus === 'dead') {
        const reason = input.deadReason ?? 'unknown';
        await guard(() => links.add({ url: input.url, alive: false, reason, crawledAtMs: input.fetchedAtMs, visit }));
        throw new FilteredError(`dead-link:${reason}`);
      }
      if (input.notModified === true) {
        await guard(() => links.add({ url: input.url, alive: true, crawledAtMs: input.fetchedAtMs, visit }));
        throw new FilteredError('unchanged', `${input.url} is not modified since its last fetch`);
      }
      const sign = input.contentSign;
      if (sign === undefined) throw new NonRetryableError('an alive link needs `contentSign`', { code: 'RELATION_BAD_INPUT' });
      const r = await guard(() => links.add({ url: input.url, alive: true, contentSign: sign, crawledAtMs: input.fetchedAtMs, visit }));
      if (!r.applied) throw new FilteredError('stale-crawl', 'a newer fetch of this link is already recorded');
      // Checked here, not trusted from the spider: the engine is the authority on features.
      if (await guard(() => features.add(sign))) throw new FilteredError('known-content');
      return {};
    },
  });

  const content = defineOperator({
    name: 'relation-content',
    version: '1.1.0',
    description: 'Records an image content\'s features and thumbnail reference (c vertex), the reference counted per tenant',
    inputs: {
      contentSign: z.string().min(1),
      width: z.number().int().nonnegative(),
      height: z.number().int().nonnegative(),
      format: z.string(),
      clarity: z.number(),
      phash: z.string(),
      dominantColor: z.string(),
      thumbnail: blobRef('the thumbnail in the blob store; only its reference is recorded'),
    },
    outputs: {},
    async handler(i, ctx) {
      const features = { width: i.width, height: i.height, format: i.format, clarity: i.clarity, phash: i.phash, dominantColor: i.dominantColor };
      await guard(() => contents.add({ sign: i.contentSign, features, thumbnailRef: i.thumbnail, tenant: ctx.trigger.tenant }));
      return {};
    },
  });

  const ocr = defineOperator({
    name: 'relation-ocr',
    version: '1.1.0',
    description: 'Records an image content\'s OCR text and lines (c vertex)',
    inputs: {
      contentSign: z.string().min(1),
      ocrText: z.string(),
      ocrLines: z.array(z.object({ text: z.string() }).passthrough()).optional(),
    },
    outputs: {},
    async handler(i) {
      await guard(() => contents.add({ sign: i.contentSign, ocrText: i.ocrText, ...(i.ocrLines !== undefined ? { ocrLines: i.ocrLines } : {}) }));
      return {};
    },
  });

  return { page, link, content, ocr, all: [page, link, content, ocr] as const };
}
