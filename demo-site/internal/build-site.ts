// Builds the whole site (routes + ground truth) for a seed. Rendering takes about a second of
// sharp work, so results are memoised per (seed, slowMs).
import { buildCatalog, IMAGE_MAX_BYTES, MAX_PIXELS } from './catalog.ts';
import type { GroundTruth } from './ground-truth.ts';
import { buildPages } from './pages.ts';
import { createRandom } from './random.ts';
import type { SiteSpec, SiteVersion } from './site-spec.ts';

export type { SiteVersion } from './site-spec.ts';
import { computeGroundTruth } from './truth.ts';

export const DEFAULT_SEED = 20240601;
export const DEFAULT_SLOW_MS = 1_500;

export const SITE_VERSIONS: readonly SiteVersion[] = [1, 2, 3];
export const ROBOTS = { disallow: ['/private/'], crawlDelaySec: 0.05 };

export interface BuiltSite {
  spec: SiteSpec;
  groundTruth: GroundTruth;
}

const cache = new Map<string, Promise<BuiltSite>>();

export function buildDemoSite(options: { seed?: number; slowMs?: number; version?: SiteVersion } = {}): Promise<BuiltSite> {
  const seed = options.seed ?? DEFAULT_SEED;
  const slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
  const version = options.version ?? 1;
  const key = `${seed}/${slowMs}/${version}`;
  let built = cache.get(key);
  if (built === undefined) {
    built = renderDemoSite(seed, slowMs, version);
    cache.set(key, built);
  }
  return built;
}

/** Uncached: renders the site afresh (tests use it to prove determinism). */
export async function renderDemoSite(seed: number, slowMs: number, version: SiteVersion = 1): Promise<BuiltSite> {
  const rng = createRandom(seed);
  const routes = await buildCatalog(rng, slowMs, version, seed);
  routes.set('/robots.txt', { kind: 'file', status: 200, contentType: 'text/plain; charset=utf-8', body: Buffer.from(robotsTxt()) });
  for (const [path, route] of buildPages(rng, slowMs, version)) {
    if (routes.has(path)) throw new Error(`demo-site: two routes for ${path}`);
    routes.set(path, route);
  }
  const spec: SiteSpec = {
    seed, routes, seeds: ['/'], maxDepth: 3, robots: ROBOTS,
    external: ['http://169.254.169.254/latest/meta-data/iam.png', 'http://10.20.30.40/internal/diagram.png', 'http://10.20.30.40/admin/', 'https://example.org/elsewhere'],
  };
  const groundTruth = computeGroundTruth(spec, {
    imageMaxBytes: IMAGE_MAX_BYTES, pageMaxBytes: 2 * 1024 * 1024, maxPixels: MAX_PIXELS, maxRedirects: 5, readTimeoutMs: Math.max(5_000, slowMs * 3),
  });
  return { spec, groundTruth };
}

function robotsTxt(): string {
  return ['# The Quarry demo site: crawl it briskly, but not its private corner.', 'User-agent: *',
    ...ROBOTS.disallow.map((d) => `Disallow: ${d}`), `Crawl-delay: ${ROBOTS.crawlDelaySec}`, ''].join('\n');
}
