/**
 * The demo website: a seeded generator and a loopback HTTP server with realistic and hostile
 * pages (srcset, lazy images, <base href>, duplicates, 404s, HTML behind an image URL, an
 * oversized image, a decompression bomb, a truncated JPEG, redirect chains and loops, a slow
 * page, OCR text images drawn from bundled glyphs, GBK and Latin-1 pages, SSRF bait, a robots.txt
 * with a disallowed corner, ETags) and the ground truth a correct crawl must reproduce. It has
 * three versions that change as the web does (see SiteVersion), served on the same port. Ground-truth URLs are root-relative; `site.absolute(path)` adds the origin.
 *
 *   const site = await startDemoSite();            // port 0: a free port on 127.0.0.1
 *   crawl(site.url, { allowPrivate: ['127.0.0.0/8'], maxDepth: site.groundTruth.maxDepth });
 *   site.groundTruth.edges;                        // [{ pageUrl: '/', imageUrl: '/img/logo.png', alt }, …]
 *   await site.close();
 */
import { buildDemoSite, DEFAULT_SEED, DEFAULT_SLOW_MS, type SiteVersion } from './internal/build-site.ts';
import type { GroundTruth } from './internal/ground-truth.ts';
import { serveRoutes } from './internal/server.ts';

export type * from './internal/ground-truth.ts';
export { buildDemoSite, DEFAULT_SEED, DEFAULT_SLOW_MS, ROBOTS, SITE_VERSIONS, type SiteVersion } from './internal/build-site.ts';

export interface DemoSiteOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only; default 127.0.0.1. */
  host?: string;
  seed?: number;
  /** Delay of the slow page and slow image, in ms (default 1500). */
  slowMs?: number;
  /** Which version of the site to serve first (default 1). */
  version?: SiteVersion;
}

export interface DemoSite {
  /** The seed URL, `http://127.0.0.1:<port>/`. */
  url: string;
  origin: string;
  /** The ground truth of the version served now. */
  readonly groundTruth: GroundTruth;
  readonly version: SiteVersion;
  /** Serves another version of the site from now on, on the same port. */
  setVersion(version: SiteVersion): Promise<void>;
  /** Request targets the server has seen, in order. */
  requests: readonly string[];
  /** The same, with when each arrived (epoch ms). */
  requestLog: readonly { path: string; atMs: number }[];
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
  const build = (version: SiteVersion) => buildDemoSite({ seed: options.seed ?? DEFAULT_SEED, slowMs: options.slowMs ?? DEFAULT_SLOW_MS, version });
  let version = options.version ?? 1;
  let built = await build(version);
  const running = await serveRoutes(built.spec.routes, { host, port: options.port ?? 0 });
  const origin = running.origin;
  return {
    url: `${origin}/`,
    origin,
    get groundTruth() {
      return built.groundTruth;
    },
    get version() {
      return version;
    },
    async setVersion(v) {
      built = await build(v);
      version = v;
      running.swap(built.spec.routes);
    },
    requests: running.requests,
    requestLog: running.requestLog,
    absolute: (url) => (url.startsWith('/') && !url.startsWith('//') ? `${origin}${url}` : url),
    relative: (url) => (url.startsWith(origin) ? url.slice(origin.length) || '/' : url),
    close: running.close,
  };
}
