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
}
