// What the demo server serves: a route table. Each route knows what a correct crawler should
// conclude about it, so the ground truth is derived from the very table the server uses.
import type { ExpectedEdge } from './ground-truth.ts';

export interface ImageFacts {
  /** `ok`, or the reason the image spider must reject it. */
  expect: 'ok' | 'not-an-image' | 'decompression-bomb' | 'too-large' | 'truncated-image';
  format?: 'png' | 'jpeg' | 'webp';
  width?: number;
  height?: number;
  nearDuplicateOf?: string;
  ocr?: { lang: 'en' | 'zh'; text: string; font: string };
}

export interface PageFacts {
  title: string;
  pageType: string;
  charset: string;
  edges: Omit<ExpectedEdge, 'pageUrl'>[];
  /** Same-site page links, resolved to root-relative URLs without fragments. */
  links: string[];
  /** The page's <link rel="canonical">, root-relative (it keys the page vertex). */
  canonical?: string;
}

export type Route =
  | {
      kind: 'file';
      status: number;
      contentType: string;
      body: Buffer;
      /** Replace __ORIGIN__ and __HOST__ in the body when serving (UTF-8 pages only). */
      template?: boolean;
      /** Serve gzip-encoded when the client accepts it. */
      gzip?: boolean;
      delayMs?: number;
      image?: ImageFacts;
      page?: PageFacts;
    }
  | { kind: 'redirect'; status: 301 | 302 | 307 | 308; location: string };

export interface SiteSpec {
  seed: number;
  routes: Map<string, Route>;
  seeds: string[];
  maxDepth: number;
  external: string[];
  /** What /robots.txt says to every crawler: path prefixes refused, and the delay asked for. */
  robots: { disallow: string[]; crawlDelaySec: number };
}

/**
 * The site changes between versions, as the web does. Version 2: a gallery page drops an image,
 * the logo's bytes change (under unchanged pages), an article vanishes (404), a deep page shows a
 * new photo under an unchanged parent, a CDN image link starts redirecting, and /about.html
 * moves (a redirect: it becomes an alias). Version 3, on top: a small copy of photo 5 goes dead,
 * article 6's og:image gets an og:image:alt, the gallery index names a canonical URL, and the
 * dropped gallery image comes back.
 */
export type SiteVersion = 1 | 2 | 3;
