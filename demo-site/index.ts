/**
 * The demo website: a seeded generator and a loopback HTTP server with realistic and hostile
 * pages (srcset, lazy images, <base href>, duplicates, 404s, HTML behind an image URL, an
 * oversized image, a decompression bomb, a truncated JPEG, redirect chains and loops, a slow
 * page, OCR text images, GBK and Latin-1 pages, SSRF bait) and the ground truth a correct crawl
 * must reproduce. Ground-truth URLs are root-relative; `site.absolute(path)` adds the origin.
 *
 *   const site = await startDemoSite();            // port 0: a free port on 127.0.0.1
 *   crawl(site.url, { allowPrivate: ['127.0.0.0/8'], maxDepth: site.groundTruth.maxDepth });
 *   site.groundTruth.edges;                        // [{ pageUrl: '/', imageUrl: '/img/logo.png', alt }, …]
 *   await site.close();
 */
import { buildDemoSite, DEFAULT_SEED, DEFAULT_SLOW_MS } from './internal/build-site.ts';
import type { GroundTruth } from './internal/ground-truth.ts';
import { serveRoutes } from './internal/server.ts';

export type * from './internal/ground-truth.ts';
export { buildDemoSite, DEFAULT_SEED, DEFAULT_SLOW_MS } from './internal/build-site.ts';

export interface DemoSiteOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only; default 127.0.0.1. */
  host?: string;
  seed?: number;
  /** Delay of the slow page and slow image, in ms (default 1500). */
  slowMs?: number;
}

export interface DemoSite {
  /** The seed URL, `http://127.0.0.1:<port>/`. */
  url: string;
  origin: string;
  groundTruth: GroundTruth;
  /** Request targets the server has seen, in order. */
  requests: readonly string[];
  /** A ground-truth URL made absolute for this server (external URLs are returned as they are). */
  absolute(url: string): string;
  /** An absolute URL on this server made root-relative, as the ground truth writes it. */
  relative(url: string): string;
  close(): Promise<void>;
}

export async function startDemoSite(options: DemoSiteOptions = {}): Promise<DemoSite> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    throw new TypeError(`The demo site serves loopback only; got host \`${host}\``);
  }
  const { spec, groundTruth } = await buildDemoSite({ seed: options.seed ?? DEFAULT_SEED, slowMs: options.slowMs ?? DEFAULT_SLOW_MS });
  const running = await serveRoutes(spec.routes, { host, port: options.port ?? 0 });
  const origin = running.origin;
  return {
    url: `${origin}/`,
    origin,
    groundTruth,
    requests: running.requests,
    absolute: (url) => (url.startsWith('/') && !url.startsWith('//') ? `${origin}${url}` : url),
    relative: (url) => (url.startsWith(origin) ? url.slice(origin.length) || '/' : url),
    close: running.close,
  };
}
