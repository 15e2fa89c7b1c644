// The image-extract operator: parse the page once, list its images (with alt, title and context)
// and its same-site links, and fan out: every image link into the image DAG, and page links into
// the page DAG while the crawl depth allows.
import { parseDocument } from 'htmlparser2';
import { z } from 'zod';
import { ConfigError, FilteredError, type ConfigProblem } from '../../../framework/errors/index.ts';
import { blob, defineOperator } from '../../../framework/operator-sdk/index.ts';
import { findImages } from './find-images.ts';
import { baseUrlOf, canonicalOf, findPageLinks } from './find-links.ts';

export interface ImageExtractOptions {
  /** DAG that image-link children enter. Default `image-ingest`. */
  imageDag?: string;
  /** DAG that page-link children enter. Default `page-ingest`. */
  pageDag?: string;
  maxImages?: number;
  maxLinks?: number;
  /** Used when the item's source carries no `maxDepth`. Default 2. */
  defaultMaxDepth?: number;
}

const imageSchema = z.object({ url: z.string(), alt: z.string(), title: z.string(), context: z.string() });

export function createImageExtractOperator(options: ImageExtractOptions = {}) {
  const config = parseOptions(options);
  return defineOperator({
    name: 'image-extract',
    version: '1.1.0',
    description: 'Finds the images and same-site links of an HTML page and fans out child items for them.',
    resource: 'cpu',
    inputs: { finalUrl: z.string().describe('the page URL after redirects (resolves relative URLs)'), html: blob('the page as UTF-8', { maxBytes: 32 << 20 }) },
    outputs: {
      images: z.array(imageSchema).describe('image links in document order, deduplicated'),
      pageLinks: z.array(z.string()).describe('same-site page links, deduplicated'),
      canonicalUrl: z.string().optional().describe('the page\'s <link rel="canonical">, resolved'),
    },
    async handler({ finalUrl, html }, ctx) {
      try {
        new URL(finalUrl);
      } catch {
        throw new FilteredError('bad-url', `finalUrl \`${finalUrl}\` is not an absolute URL`);
      }
      const doc = parseDocument(new TextDecoder('utf-8').decode(html), { lowerCaseTags: true, lowerCaseAttributeNames: true, decodeEntities: true });
      const base = baseUrlOf(doc, finalUrl);
      const images = findImages(doc, base, config.maxImages);
      const pageLinks = findPageLinks(doc, base, finalUrl, config.maxLinks);

      for (const image of images) ctx.emit({ itemKey: image.url, dag: config.imageDag, source: { url: image.url, pageUrl: finalUrl } });
      const depth = intOr(ctx.trigger.source.depth, 0);
      const maxDepth = intOr(ctx.trigger.source.maxDepth, config.defaultMaxDepth);
      if (depth < maxDepth) {
        for (const url of pageLinks) ctx.emit({ itemKey: url, dag: config.pageDag, source: { url, depth: String(depth + 1), maxDepth: String(maxDepth) } });
      }
      const canonicalUrl = canonicalOf(doc, base);
      return { images, pageLinks, ...(canonicalUrl !== undefined ? { canonicalUrl } : {}) };
    },
  });
}

function intOr(value: string | undefined, fallback: number): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

function parseOptions(o: ImageExtractOptions): Required<ImageExtractOptions> {
  const problems: ConfigProblem[] = [];
  const int = (field: keyof ImageExtractOptions, fallback: number, min: number): number => {
    const v = o[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) problems.push({ field, expected: `an integer ≥ ${min}`, received: v });
    return typeof v === 'number' ? v : fallback;
  };
  const dag = (field: 'imageDag' | 'pageDag', fallback: string): string => {
    const v = o[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') problems.push({ field, expected: 'a DAG name', received: v });
    return String(v);
  };
  const config = {
    imageDag: dag('imageDag', 'image-ingest'),
    pageDag: dag('pageDag', 'page-ingest'),
    maxImages: int('maxImages', 500, 1),
    maxLinks: int('maxLinks', 200, 0),
    defaultMaxDepth: int('defaultMaxDepth', 2, 0),
  };
  if (problems.length > 0) throw new ConfigError(problems, 'image-extract options');
  return config;
}
