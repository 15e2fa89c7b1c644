// Same-site page links for crawling: a[href] and area[href] on the page's own host (host and
// port), resolved against <base>, without fragments, deduplicated, the page itself excluded.
import type { Document } from 'domhandler';
import { findAll } from 'domutils';
import { resolveHttpUrl } from './urls.ts';

export function findPageLinks(doc: Document, baseUrl: string, pageUrl: string, maxLinks: number): string[] {
  const page = new URL(pageUrl);
  const self = resolveHttpUrl(pageUrl, pageUrl);
  const out = new Set<string>();
  for (const el of findAll((e) => (e.name === 'a' || e.name === 'area') && e.attribs.href !== undefined, doc.children)) {
    if (out.size >= maxLinks) break;
    const url = resolveHttpUrl(el.attribs.href, baseUrl);
    if (url === undefined || url === self) continue;
    if (new URL(url).host !== page.host) continue;
    out.add(url);
  }
  return [...out];
}

/** The document's base URL: the first <base href> that resolves to http(s), else the page URL. */
export function baseUrlOf(doc: Document, pageUrl: string): string {
  const base = findAll((e) => e.name === 'base' && e.attribs.href !== undefined, doc.children)[0];
  return resolveHttpUrl(base?.attribs.href, pageUrl) ?? pageUrl;
}

/** The page's `<link rel="canonical">`, resolved (the relation writer honours it within the same site). */
export function canonicalOf(doc: Document, baseUrl: string): string | undefined {
  const link = findAll((e) => e.name === 'link' && (e.attribs.rel ?? '').toLowerCase().split(/\s+/).includes('canonical'), doc.children)[0];
  return resolveHttpUrl(link?.attribs.href, baseUrl);
}
