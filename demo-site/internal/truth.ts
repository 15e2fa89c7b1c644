// Derives the ground truth from the route table by simulating a correct crawl: breadth-first
// from the seeds, page links followed while depth < maxDepth, redirects resolved with the same
// cap and loop rule as the spiders, and every image link classified by what its route serves.
import { createHash } from 'node:crypto';
import type { ExpectedContent, ExpectedEdge, ExpectedLink, ExpectedOcr, ExpectedPage, ExpectedRejection, GroundTruth } from './ground-truth.ts';
import type { Route, SiteSpec } from './site-spec.ts';

type Resolved = { path: string; route: Route & { kind: 'file' } } | { path: string; route: undefined } | { reason: string };

export function computeGroundTruth(spec: SiteSpec, limits: GroundTruth['limits']): GroundTruth {
  const pages: ExpectedPage[] = [];
  const edges: ExpectedEdge[] = [];
  const rejections: ExpectedRejection[] = [];
  const imageUrls: string[] = [];
  const seen = new Set<string>(spec.seeds);
  const queue = spec.seeds.map((url) => ({ url, depth: 0 }));
  const disallowed = (path: string) => spec.robots.disallow.some((d) => path.startsWith(d));
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    if (disallowed(item.url)) {
      rejections.push({ kind: 'page', url: item.url, reason: 'robots-disallowed' });
      continue;
    }
    const r = resolve(spec, item.url, limits.maxRedirects);
    if ('reason' in r) {
      rejections.push({ kind: 'page', url: item.url, reason: r.reason });
      continue;
    }
    if (r.route === undefined || r.route.status >= 400) {
      rejections.push({ kind: 'page', url: item.url, reason: `http-${r.route?.status ?? 404}` });
      continue;
    }
    const page = r.route.page;
    if (page === undefined) {
      rejections.push({ kind: 'page', url: item.url, reason: 'not-html' });
      continue;
    }
    pages.push({ url: item.url, finalUrl: r.path, canonical: page.canonical ?? r.path, title: page.title, pageType: page.pageType, charset: page.charset, depth: item.depth });
    for (const e of page.edges) {
      edges.push({ pageUrl: r.path, ...e });
      if (!imageUrls.includes(e.imageUrl)) imageUrls.push(e.imageUrl);
    }
    if (item.depth >= spec.maxDepth) continue;
    for (const link of page.links) {
      if (seen.has(link)) continue;
      seen.add(link);
      queue.push({ url: link, depth: item.depth + 1 });
    }
  }

  const links: ExpectedLink[] = [];
  const deadLinks: GroundTruth['deadLinks'] = [];
  const byContent = new Map<string, ExpectedContent>();
  const ocr: ExpectedOcr[] = [];
  for (const url of imageUrls) {
    const r = resolve(spec, url, limits.maxRedirects);
    let reason: string | undefined;
    if ('reason' in r) reason = r.reason;
    else if (r.route === undefined || r.route.status >= 400) {
      reason = `http-${r.route?.status ?? 404}`;
      deadLinks.push({ url, reason });
      links.push({ url, status: 'dead', reason });
      rejections.push({ kind: 'image', url, reason });
      continue;
    } else if (r.route.image === undefined) reason = 'not-an-image';
    else if (r.route.image.expect !== 'ok') reason = r.route.image.expect;
    if (reason !== undefined || 'reason' in r || r.route === undefined) {
      links.push({ url, status: 'rejected', reason: reason! });
      rejections.push({ kind: 'image', url, reason: reason! });
      continue;
    }
    const facts = r.route.image!;
    const contentId = sha256(r.route.body);
    links.push({ url, status: 'alive', contentId });
    const content = byContent.get(contentId) ?? {
      contentId, width: facts.width ?? 0, height: facts.height ?? 0, format: facts.format ?? 'png', bytes: r.route.body.length, links: [],
      ...(facts.nearDuplicateOf ? { nearDuplicateOf: contentIdOf(spec, facts.nearDuplicateOf) } : {}),
    };
    content.links.push(url);
    byContent.set(contentId, content);
    if (facts.ocr && !ocr.some((o) => o.contentId === contentId)) ocr.push({ imageUrl: url, contentId, ...facts.ocr });
  }

  const crawled = new Set(pages.flatMap((p) => [p.finalUrl, p.canonical]));
  const beyondDepth = [...spec.routes].filter(([path, route]) => route.kind === 'file' && route.page !== undefined && !crawled.has(path) && !disallowed(path)).map(([path]) => path);
  const rejectionsByReason: Record<string, number> = {};
  for (const r of rejections) rejectionsByReason[r.reason] = (rejectionsByReason[r.reason] ?? 0) + 1;
  return {
    seed: spec.seed, seeds: spec.seeds, maxDepth: spec.maxDepth, limits, pages, edges, links, contents: [...byContent.values()],
    deadLinks, rejections, rejectionsByReason, ocr, external: spec.external, beyondDepth,
  };
}

function resolve(spec: SiteSpec, url: string, maxRedirects: number): Resolved {
  const visited = new Set([url]);
  let path = url;
  let hops = 0;
  for (;;) {
    if (!path.startsWith('/') || path.startsWith('//')) return { reason: 'ssrf-blocked' };
    const route = spec.routes.get(path);
    if (route === undefined) return { path, route: undefined };
    if (route.kind === 'file') return { path, route };
    const next = route.location.replace('__ORIGIN__', '');
    if (visited.has(next)) return { reason: 'redirect-loop' };
    hops += 1;
    if (hops > maxRedirects) return { reason: 'too-many-redirects' };
    visited.add(next);
    path = next;
  }
}

function contentIdOf(spec: SiteSpec, path: string): string {
  const route = spec.routes.get(path);
  if (route?.kind !== 'file') throw new Error(`demo-site: no file at ${path}`);
  return sha256(route.body);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
