// Input schemas of the engine's writes, checked once at the API edge; bad input gets one
// ConfigError naming every problem.
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../framework/errors/index.ts';
import type { RelationStore } from './relation-store.ts';

// NUL separates key parts in the embedded store, so it may not occur in a URL or a sign.
const id = z.string().min(1).max(4096).refine((s) => !s.includes('\u0000'), 'must not contain NUL');
const ms = z.number().int().nonnegative();

const validators = {
  etag: z.string().max(1024).optional(),
  lastModified: z.string().max(256).optional(),
};

export const pageInputSchema = z.object({
  url: id,
  finalUrl: id.optional(),
  /** Other URLs the page was reached under (redirects, a canonical link): recorded as aliases. */
  aliases: z.array(id).max(32).default([]),
  title: z.string().max(4096).default(''),
  pageType: z.string().max(256).default(''),
  contentHash: z.string().max(256).default(''),
  links: z.array(z.object({
    url: id,
    alt: z.string().max(8192).default(''),
    title: z.string().max(8192).default(''),
    context: z.string().max(16_384).default(''),
  })).max(10_000).default([]),
  crawledAtMs: ms,
  /** When given, the crawl is recorded on the page's re-visit schedule. */
  visit: z.object({ ...validators, depth: z.number().int().nonnegative().optional(), maxDepth: z.number().int().nonnegative().optional() }).optional(),
});
export type PageInput = z.input<typeof pageInputSchema>;

export const linkInputSchema = z.object({
  url: id,
  alive: z.boolean(),
  reason: z.string().max(256).optional(),
  contentSign: id.optional(),
  crawledAtMs: ms,
  /** When given, the fetch is recorded on the link's re-visit schedule. */
  visit: z.object(validators).optional(),
});
export type LinkInput = z.input<typeof linkInputSchema>;

export const featuresSchema = z.object({
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  format: z.string().max(64),
  clarity: z.number().finite(),
  phash: z.string().max(256),
  dominantColor: z.string().max(64),
});

export const ocrLinesSchema = z.array(z.object({ text: z.string() }).passthrough()).max(10_000);

export const ocrTextSchema = z.string().max(256_000);
export const signSchema = id;
export const tenantSchema = z.string().min(1).max(256);
export const visitCheckSchema = z.object({
  kind: z.enum(['page', 'link']), url: id, changed: z.boolean(), gone: z.boolean().default(false), checkedAtMs: ms, ...validators,
});
export type VisitCheck = z.input<typeof visitCheckSchema>;
export const urlSchema = id;

/**
 * The keys a write builds from an item's ids must fit the store's key limit (the embedded store's
 * edge keys join a page URL and a link URL: 4,026 bytes in all with its 8 KB pages). An item
 * whose keys do not fit fails alone, with a ConfigError naming the field, before anything is
 * written. The store says how long a key built from given ids is (`RelationStore.keyBytes`).
 */
export interface KeyParts {
  field: string;
  /** The ids one key is built from. */
  parts: readonly string[];
}

export function pageKeyParts(p: { url: string; finalUrl?: string | undefined; aliases: readonly string[]; links: readonly { url: string }[] }): KeyParts[] {
  const pageSide: [string, string][] = [['url', p.url], ...(p.finalUrl !== undefined ? [['finalUrl', p.finalUrl] as [string, string]] : []), ...p.aliases.map((a, i): [string, string] => [`aliases.${i}`, a])];
  const longest = pageSide.reduce((a, b) => (utf8(b[1]) > utf8(a[1]) ? b : a))[1];
  return [
    ...pageSide.map(([field, u]): KeyParts => ({ field, parts: [u] })),
    ...p.links.map((l, i): KeyParts => ({ field: `links.${i}.url`, parts: [longest, l.url] })),
  ];
}

export function linkKeyParts(l: { url: string; contentSign?: string | undefined }): KeyParts[] {
  return [
    { field: 'url', parts: [l.url] },
    ...(l.contentSign !== undefined ? [{ field: 'contentSign', parts: [l.url, l.contentSign] }] : []),
  ];
}

export function contentKeyParts(c: { sign: string; thumbnailRef?: string | undefined; tenant?: string | undefined }, defaultTenant: string): KeyParts[] {
  return [
    { field: 'sign', parts: [c.sign] },
    ...(c.thumbnailRef !== undefined ? [{ field: 'thumbnailRef', parts: [c.thumbnailRef, c.sign, c.tenant ?? defaultTenant] }] : []),
  ];
}

export function checkKeys(store: Pick<RelationStore, 'maxKeyBytes' | 'keyBytes'>, keys: readonly KeyParts[], context: string): void {
  const problems: ConfigProblem[] = [];
  for (const k of keys) {
    const bytes = store.keyBytes(k.parts);
    if (bytes > store.maxKeyBytes) {
      problems.push({
        field: k.field,
        expected: `short enough for the store's keys (${bytes} bytes${k.parts.length > 1 ? ' with the ids it is stored beside' : ''}, at most ${store.maxKeyBytes})`,
        received: k.parts[k.parts.length - 1],
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, context);
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

export function check<S extends z.ZodTypeAny>(schema: S, value: unknown, context: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data as z.output<S>;
  const problems: ConfigProblem[] = r.error.issues.map((issue) => ({
    field: issue.path.join('.') || context,
    expected: expectation(issue),
    received: pick(value, issue.path),
  }));
  throw new ConfigError(problems, context);
}

function expectation(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': return `of type ${issue.expected}`;
    case 'too_small': return `at least ${String(issue.minimum)} ${issue.type === 'string' ? 'characters' : issue.type === 'array' ? 'items' : ''}`.trim();
    case 'too_big': return `at most ${String(issue.maximum)} ${issue.type === 'string' ? 'characters' : issue.type === 'array' ? 'items' : ''}`.trim();
    default: return `valid (${issue.message})`;
  }
}

function pick(value: unknown, path: (string | number)[]): unknown {
  let cur = value;
  for (const p of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[p] : undefined;
  return cur;
}
