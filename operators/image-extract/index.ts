/**
 * The `image-extract` operator: finds a page's images — <img> src, srcset (largest candidate),
 * lazy-load attributes (data-src, data-original, data-lazy-src, data-srcset, …), <picture>
 * sources, og:image (its alt from og:image:alt) / twitter:image — resolved against <base href>,
 * with alt, title and surrounding text; its same-site links; and its <link rel="canonical">. Emits one child per image into `imageDag`
 * (source `{ url, pageUrl }`) and, while `depth < maxDepth`, one per page link into `pageDag`
 * (source `{ url, depth: depth + 1, maxDepth }`).
 *
 *   const extract = createImageExtractOperator({ maxImages: 200 });
 *   const { images, pageLinks } = await extract.handler({ finalUrl, html }, ctx);
 */
export { createImageExtractOperator, type ImageExtractOptions } from './internal/image-extract.ts';
export { findImages, LAZY_SRC_ATTRS, LAZY_SRCSET_ATTRS, type ExtractedImage } from './internal/find-images.ts';
export { findPageLinks, baseUrlOf } from './internal/find-links.ts';
export { parseSrcset, largestCandidate, resolveHttpUrl, type SrcsetCandidate } from './internal/urls.ts';
