// The relation-writer operators: the DAG nodes that record crawl results in the relation graph.
import { z } from 'zod';
import { defineOperator, blobRef } from '../../framework/operator-sdk/index.ts';
import { FilteredError, NonRetryableError, RetryLaterError, errorCode, errorMessage } from '../../framework/errors/index.ts';
import type { RelationEngine } from '../../relation-engine/index.ts';

export interface RelationWriterDeps {
  engine: RelationEngine;
  /** Back-off asked for when the store fails transiently. */
  retryAfterMs?: number;
}

const imageSchema = z.object({
  url: z.string().min(1), alt: z.string().default(''), title: z.string().default(''), context: z.string().default(''),
});

export function createRelationWriterOperators({ engine, retryAfterMs = 2_000 }: RelationWriterDeps) {
  // Bad input can never succeed; anything else from the store (timeouts, unavailable) is transient.
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      const code = errorCode(err);
      if (code === 'FILTERED' || code === 'NON_RETRYABLE') throw err;
      if (code === 'CONFIG_INVALID') throw new NonRetryableError(errorMessage(err), { code: 'RELATION_BAD_INPUT', cause: err });
      throw new RetryLaterError(retryAfterMs, `relation store: ${errorMessage(err)}`, { code: 'RELATION_STORE_UNAVAILABLE', cause: err });
    }
  };

  const page = defineOperator({
    name: 'relation-page',
    version: '1.0.0',
    description: 'Records a crawled page (f vertex) and the image links it shows now (fo edges)',
    inputs: {
      url: z.string().min(1).describe('the page URL as crawled (the f key)'),
      finalUrl: z.string().min(1).optional().describe('the URL after redirects'),
      title: z.string(),
      pageType: z.string(),
      contentHash: z.string(),
      fetchedAtMs: z.number().int().nonnegative(),
      images: z.array(imageSchema).describe('the image links on the page, with alt, title and surrounding text'),
    },
    outputs: {},
    async handler(input) {
      const r = await guard(() => engine.upsertPage({
        url: input.url, ...(input.finalUrl !== undefined ? { finalUrl: input.finalUrl } : {}),
        title: input.title, pageType: input.pageType, contentHash: input.contentHash,
        links: input.images, crawledAtMs: input.fetchedAtMs,
      }));
      if (!r.applied) throw new FilteredError('stale-crawl', 'a newer crawl of this page is already recorded');
      return {};
    },
  });

  const link = defineOperator({
    name: 'relation-link',
    version: '1.0.0',
    description: 'Records an image link alive or dead (o vertex) and the content it serves (oc edge)',
    inputs: {
      url: z.string().min(1).describe('the image link'),
      linkStatus: z.enum(['alive', 'dead']),
      deadReason: z.string().optional(),
      contentSign: z.string().min(1).optional(),
      fetchedAtMs: z.number().int().nonnegative(),
    },
    outputs: {},
    async handler(input) {
      if (input.linkStatus === 'dead') {
        const reason = input.deadReason ?? 'unknown';
        await guard(() => engine.markLink({ url: input.url, alive: false, reason, crawledAtMs: input.fetchedAtMs }));
        throw new FilteredError(`dead-link:${reason}`);
      }
      const sign = input.contentSign;
      if (sign === undefined) throw new NonRetryableError('an alive link needs `contentSign`', { code: 'RELATION_BAD_INPUT' });
      const r = await guard(() => engine.markLink({ url: input.url, alive: true, contentSign: sign, crawledAtMs: input.fetchedAtMs }));
      if (!r.applied) throw new FilteredError('stale-crawl', 'a newer fetch of this link is already recorded');
      // Checked here, not trusted from the spider: the engine is the authority on features.
      if (await guard(() => engine.contentHasFeatures(sign))) throw new FilteredError('known-content');
      return {};
    },
  });

  const content = defineOperator({
    name: 'relation-content',
    version: '1.0.0',
    description: 'Records an image content\'s features and thumbnail reference (c vertex)',
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
    async handler(i) {
      const features = { width: i.width, height: i.height, format: i.format, clarity: i.clarity, phash: i.phash, dominantColor: i.dominantColor };
      await guard(() => engine.upsertContent(i.contentSign, features, i.thumbnail));
      return {};
    },
  });

  const ocr = defineOperator({
    name: 'relation-ocr',
    version: '1.0.0',
    description: 'Records an image content\'s OCR text and lines (c vertex)',
    inputs: {
      contentSign: z.string().min(1),
      ocrText: z.string(),
      ocrLines: z.array(z.object({ text: z.string() }).passthrough()).optional(),
    },
    outputs: {},
    async handler(i) {
      await guard(() => engine.setOcr(i.contentSign, i.ocrText, i.ocrLines));
      return {};
    },
  });

  return { page, link, content, ocr, all: [page, link, content, ocr] as const };
}
