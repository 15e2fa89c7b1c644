// Every image a page references, in document order, resolved and deduplicated: <img> (lazy
// attributes first, then srcset's largest candidate, then src), <picture><source>, og:image,
// twitter:image and <link rel="image_src">.
import type { Document, Element } from 'domhandler';
import { findAll } from 'domutils';
import { bound, imageContext } from './context-text.ts';
import { largestCandidate, resolveHttpUrl } from './urls.ts';

export interface ExtractedImage {
  url: string;
  alt: string;
  title: string;
  context: string;
}

/** Where lazy-loading scripts keep the real URL; checked in this order before `src`. */
export const LAZY_SRCSET_ATTRS = ['data-srcset', 'data-lazy-srcset', 'data-original-set'];
export const LAZY_SRC_ATTRS = ['data-src', 'data-original', 'data-lazy-src', 'data-lazy', 'data-url', 'data-hi-res-src', 'data-full-src', 'data-echo', 'lazy-src', 'data-srcset-fallback'];
const META_IMAGE = new Set(['og:image', 'og:image:url', 'og:image:secure_url', 'twitter:image', 'twitter:image:src']);

export function findImages(doc: Document, baseUrl: string, maxImages: number): ExtractedImage[] {
  const found = new Map<string, ExtractedImage>();
  const add = (raw: string | undefined, info: Omit<ExtractedImage, 'url'>): void => {
    const url = resolveHttpUrl(raw, baseUrl);
    if (url === undefined) return;
    const seen = found.get(url);
    if (seen === undefined) {
      if (found.size < maxImages) found.set(url, { url, ...info });
    } else if (seen.alt === '' && info.alt !== '') {
      // The same image met again with a description (og:image first, then the <img>): keep it.
      found.set(url, { url, ...info });
    }
  };
  const elements = findAll((e) => e.name === 'img' || e.name === 'meta' || e.name === 'link', doc.children);
  let lastOg: string | undefined;
  for (const el of elements) {
    if (el.name === 'meta') {
      const key = (el.attribs.property ?? el.attribs.name ?? '').toLowerCase();
      if (META_IMAGE.has(key)) {
        add(el.attribs.content, { alt: '', title: '', context: '' });
        if (key.startsWith('og:image')) lastOg = resolveHttpUrl(el.attribs.content, baseUrl);
      } else if (key === 'og:image:alt' && lastOg !== undefined) {
        // Open Graph: og:image:alt describes the og:image before it.
        const seen = found.get(lastOg);
        const alt = bound(el.attribs.content ?? '');
        if (seen && seen.alt === '' && alt !== '') found.set(lastOg, { ...seen, alt });
      }
      continue;
    }
    if (el.name === 'link') {
      if ((el.attribs.rel ?? '').toLowerCase().split(/\s+/).includes('image_src')) add(el.attribs.href, { alt: '', title: '', context: '' });
      continue;
    }
    const info = { alt: bound(el.attribs.alt ?? ''), title: bound(el.attribs.title ?? ''), context: imageContext(el) };
    const parent = el.parent as Element | null;
    if (parent?.type === 'tag' && parent.name === 'picture') {
      for (const source of parent.children) {
        if (source.type === 'tag' && (source as Element).name === 'source') add(sourceUrl(source as Element), info);
      }
    }
    add(imgUrl(el), info);
  }
  return [...found.values()];
}

function imgUrl(img: Element): string | undefined {
  const a = img.attribs;
  for (const attr of LAZY_SRCSET_ATTRS) {
    const url = largestCandidate(a[attr]);
    if (url !== undefined) return url;
  }
  for (const attr of LAZY_SRC_ATTRS) {
    if (a[attr] !== undefined && a[attr].trim() !== '') return a[attr];
  }
  return largestCandidate(a.srcset) ?? a.src;
}

function sourceUrl(source: Element): string | undefined {
  const a = source.attribs;
  return largestCandidate(a['data-srcset']) ?? largestCandidate(a.srcset) ?? a['data-src'] ?? a.src;
}
