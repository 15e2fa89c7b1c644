// The shape of the demo site's ground truth. Site URLs are root-relative (`/img/logo.png`) so the
// port does not matter; URLs on other hosts (the SSRF targets) stay absolute.

export interface ExpectedPage {
  /** The URL crawled (what a page item's source carries). */
  url: string;
  /** Where it ended after redirects. */
  finalUrl: string;
  /** The URL that keys its page vertex: its same-site <link rel=canonical>, else `finalUrl`. */
  canonical: string;
  title: string;
  pageType: string;
  charset: string;
  /** Shortest link distance from the seed. */
  depth: number;
}

export interface ExpectedEdge {
  /** The page's final URL. */
  pageUrl: string;
  imageUrl: string;
  alt: string;
  /** When set, the extracted context must contain this text (a figcaption or nearby sentence). */
  contextIncludes?: string;
}

export interface ExpectedLink {
  url: string;
  status: 'alive' | 'dead' | 'rejected';
  /** sha256 hex of the bytes finally served; the same for every link serving the same bytes. */
  contentId?: string;
  /** Reason code when not alive (matches the spiders' FilteredError reasons). */
  reason?: string;
}

export interface ExpectedContent {
  contentId: string;
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'webp';
  bytes: number;
  /** Every link (root-relative) whose bytes are this content. */
  links: string[];
  /** Set on a resized/recompressed copy: the content it looks like. */
  nearDuplicateOf?: string;
}

export interface ExpectedRejection {
  kind: 'page' | 'image';
  url: string;
  reason: string;
}

export interface ExpectedOcr {
  imageUrl: string;
  contentId: string;
  lang: 'en' | 'zh';
  text: string;
  font: string;
}

export interface GroundTruth {
  seed: number;
  seeds: string[];
  maxDepth: number;
  /** Spider limits the expectations assume (oversized image > imageMaxBytes, bomb > maxPixels…). */
  limits: { imageMaxBytes: number; pageMaxBytes: number; maxPixels: number; maxRedirects: number; readTimeoutMs: number };
  pages: ExpectedPage[];
  edges: ExpectedEdge[];
  links: ExpectedLink[];
  contents: ExpectedContent[];
  /** Image links answered with an HTTP error status (o vertex dead, reason `http-<status>`). */
  deadLinks: { url: string; reason: string }[];
  /** Every item refused, page or image, with its reason (dead links included). */
  rejections: ExpectedRejection[];
  /** Counts by reason over `rejections`. */
  rejectionsByReason: Record<string, number>;
  ocr: ExpectedOcr[];
  /** URLs on other hosts that appear in pages and must never be contacted. */
  external: string[];
  /** Site pages that exist but lie beyond maxDepth: a correct crawl never requests them. */
  beyondDepth: string[];
}
