// Small HTML helpers for the demo pages. Each returns the markup and the f→o edges a correct
// extractor must find in it, written by hand so the ground truth is independent of the extractor.
import type { PageFacts } from './site-spec.ts';

export type Edge = PageFacts['edges'][number];
export interface Fragment {
  html: string;
  edges: Edge[];
}

export const LOGO: Edge = { imageUrl: '/img/logo.png', alt: 'Quarry demo logo' };
export const NAV_LINKS = ['/', '/gallery/index.html', '/articles/index.html', '/hostile/index.html', '/old/about.html'];
export const PIXEL_GIF = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function layout(options: { title: string; head?: string; body: string; lang?: string; metaCharset?: string | null }): string {
  const charset = options.metaCharset === null ? '' : `<meta charset="${options.metaCharset ?? 'utf-8'}">`;
  return `<!DOCTYPE html>
<html lang="${options.lang ?? 'en'}"><head>${charset}
<title>${esc(options.title)}</title>${options.head ?? ''}
</head><body>
<header><a href="/#top"><img src="/img/logo.png" alt="Quarry demo logo" width="120" height="40"></a>
<nav><a href="/">Home</a> <a href="/gallery/index.html">Gallery</a> <a href="/articles/index.html">Articles</a>
<a href="/hostile/index.html">Odd corners</a> <a href="/old/about.html">About</a> <a href="mailto:demo@example.org">Mail</a></nav></header>
<main>
${options.body}
</main>
<footer><p>Quarry demo site. <a href="https://example.org/elsewhere">An external site</a> <a href="javascript:void(0)">noop</a></p></footer>
</body></html>
`;
}

/** A plain image in its own paragraph, `src` written as given (relative, absolute, protocol-relative…). */
export function img(src: string, resolved: string, alt: string, sentence: string): Fragment {
  return { html: `<p>${esc(sentence)} <img src="${src}" alt="${esc(alt)}" title="${esc(alt)}"></p>`, edges: [{ imageUrl: resolved, alt, contextIncludes: sentence }] };
}

export function figure(src: string, resolved: string, alt: string, caption: string): Fragment {
  return {
    html: `<figure><img src="${src}" alt="${esc(alt)}"><figcaption>${esc(caption)}</figcaption></figure>`,
    edges: [{ imageUrl: resolved, alt, contextIncludes: caption }],
  };
}

/** `srcset` with w or x descriptors; only the largest candidate is an edge. */
export function srcset(candidates: [string, string][], alt: string, largest: string): Fragment {
  const set = candidates.map(([u, d]) => `${u} ${d}`).join(', ');
  return { html: `<p><img src="${candidates[0]![0]}" srcset="${set}" sizes="(max-width: 600px) 100vw, 600px" alt="${esc(alt)}"></p>`, edges: [{ imageUrl: largest, alt }] };
}

/** A lazy-loaded image: the real URL sits in a data attribute, `src` is a placeholder. */
export function lazy(attr: string, value: string, resolved: string, alt: string): Fragment {
  return { html: `<p><img class="lazy" src="${PIXEL_GIF}" ${attr}="${value}" alt="${esc(alt)}" loading="lazy"></p>`, edges: [{ imageUrl: resolved, alt }] };
}

/** `<picture>`: each source's largest candidate plus the fallback `img`, all with the img's alt. */
export function picture(sources: { srcset: string; type?: string; largest: string }[], fallback: string, alt: string): Fragment {
  const html = `<picture>${sources.map((s) => `<source srcset="${s.srcset}"${s.type ? ` type="${s.type}"` : ''}>`).join('')}<img src="${fallback}" alt="${esc(alt)}"></picture>`;
  const urls = [...new Set([...sources.map((s) => s.largest), fallback])];
  return { html, edges: urls.map((imageUrl) => ({ imageUrl, alt })) };
}

export function join(fragments: Fragment[]): Fragment {
  return { html: fragments.map((f) => f.html).join('\n'), edges: fragments.flatMap((f) => f.edges) };
}
