// The content index over an IndexStore: near-duplicates by pHash Hamming distance (multi-index
// hashing, see bands.ts), near-duplicate groups, and text search over OCR tokens.
import { QuarryError } from '../../../framework/errors/index.ts';
import { MAX_PROBED_DISTANCE, PHASH, bandKey, bandKeys, bandValues, hamming, probeKeys } from './bands.ts';
import type { IndexStore } from './index-store.ts';
import { tokenize } from './tokenize.ts';

export interface NearDuplicate {
  sign: string;
  phash: string;
  distance: number;
}

export interface DuplicateGroup {
  /** Signs in the group, sorted; the group is identified by its first sign. */
  signs: string[];
  phashes: Record<string, string>;
}

export interface TextHit {
  sign: string;
  /** Query tokens found in the content's text. */
  matched: number;
  text: string;
}

export type NearDuplicateQuery = { phash: string } | { sign: string };

export interface ContentIndex {
  indexPhash(sign: string, phash: string): Promise<void>;
  /** Many pHashes in one store call; a bad hash fails the whole call, naming it. */
  indexPhashes(entries: readonly { sign: string; phash: string }[]): Promise<void>;
  /** Index (or re-index) a content's OCR text; returns the number of distinct tokens. */
  indexText(sign: string, text: string): Promise<number>;
  /** Many texts in one store call; returns each one's number of distinct tokens. */
  indexTexts(entries: readonly { sign: string; text: string }[]): Promise<number[]>;
  /** Contents within `maxDistance` bits, nearest first; a query by sign leaves that sign out. */
  nearDuplicates(query: NearDuplicateQuery, maxDistance?: number): Promise<NearDuplicate[]>;
  /** Connected components (single linkage) of contents within `maxDistance`; only groups of ≥ 2. */
  groups(maxDistance?: number): Promise<DuplicateGroup[]>;
  /** Contents whose text holds every query token (`match: 'any'`: at least one), best first. */
  searchText(query: string, options?: { match?: 'all' | 'any'; limit?: number }): Promise<TextHit[]>;
}

export function createContentIndex({ store, maxDistance: defaultDistance = 6 }: { store: IndexStore; maxDistance?: number }): ContentIndex {
  checkDistance(defaultDistance);
  const parseMember = (m: string): [phash: string, sign: string] => [m.slice(0, 16), m.slice(17)];

  async function indexPhashes(entries: readonly { sign: string; phash: string }[]): Promise<void> {
    for (const { phash } of entries) {
      if (!PHASH.test(phash)) throw new QuarryError('BAD_PHASH', `Expected \`phash\` to be 16 lower-case hex chars, got \`${phash}\``);
    }
    await store.putPhashes(entries.map(({ sign, phash }) => ({ sign, phash, bandKeys: bandKeys(phash) })));
  }

  async function indexTexts(entries: readonly { sign: string; text: string }[]): Promise<number[]> {
    const tokenized = entries.map(({ sign, text }) => ({ sign, text: { text, tokens: tokenize(text) } }));
    await store.putTexts(tokenized);
    return tokenized.map((e) => e.text.tokens.length);
  }

  async function candidates(phash: string, maxDistance: number): Promise<[string, string][]> {
    if (maxDistance <= MAX_PROBED_DISTANCE) {
      return (await store.bandMembers(probeKeys(phash, maxDistance))).map((m) => {
        const [p, s] = parseMember(m);
        return [s, p];
      });
    }
    const all: [string, string][] = [];
    for await (const page of store.scanPhashes()) all.push(...page);
    return all;
  }

  return {
    indexPhash: (sign, phash) => indexPhashes([{ sign, phash }]),
    indexPhashes,
    indexText: async (sign, text) => (await indexTexts([{ sign, text }]))[0]!,
    indexTexts,

    async nearDuplicates(query, maxDistance = defaultDistance) {
      checkDistance(maxDistance);
      let phash: string;
      let self: string | undefined;
      if ('sign' in query) {
        const found = await store.getPhash(query.sign);
        if (found === null) throw new QuarryError('UNKNOWN_SIGN', `No pHash is indexed for content sign \`${query.sign}\``);
        phash = found;
        self = query.sign;
      } else {
        phash = query.phash.toLowerCase();
        if (!PHASH.test(phash)) throw new QuarryError('BAD_PHASH', `Expected a pHash of 16 hex chars, got \`${query.phash}\``);
      }
      const hits: NearDuplicate[] = [];
      for (const [sign, p] of await candidates(phash, maxDistance)) {
        if (sign === self) continue;
        const distance = hamming(phash, p);
        if (distance <= maxDistance) hits.push({ sign, phash: p, distance });
      }
      return hits.sort((a, b) => a.distance - b.distance || (a.sign < b.sign ? -1 : 1));
    },

    async groups(maxDistance = defaultDistance) {
      checkDistance(maxDistance);
      // One scan, then the same band probing in memory: a store round trip per content would
      // make a full grouping cost n network calls.
      const entries: [string, string][] = [];
      for await (const page of store.scanPhashes()) entries.push(...page);
      const byBand = new Map<string, number[]>();
      entries.forEach(([, p], i) => {
        bandValues(p).forEach((v, b) => {
          const key = bandKey(b, v);
          const list = byBand.get(key);
          if (list) list.push(i);
          else byBand.set(key, [i]);
        });
      });
      const parent = entries.map((_, i) => i);
      const find = (i: number): number => {
        while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
        return i;
      };
      entries.forEach(([, p], i) => {
        const seen = new Set<number>();
        const scan = maxDistance <= MAX_PROBED_DISTANCE ? probeKeys(p, maxDistance).map((k) => byBand.get(k) ?? []) : [entries.map((_, j) => j)];
        for (const list of scan) {
          for (const j of list) {
            if (j <= i || seen.has(j)) continue;
            seen.add(j);
            if (hamming(p, entries[j]![1]) <= maxDistance) parent[find(j)] = find(i);
          }
        }
      });
      const groups = new Map<number, DuplicateGroup>();
      entries.forEach(([sign, p], i) => {
        const root = find(i);
        const g = groups.get(root) ?? { signs: [], phashes: {} };
        g.signs.push(sign);
        g.phashes[sign] = p;
        groups.set(root, g);
      });
      return [...groups.values()]
        .filter((g) => g.signs.length > 1)
        .map((g) => ({ ...g, signs: g.signs.sort() }))
        .sort((a, b) => b.signs.length - a.signs.length || (a.signs[0]! < b.signs[0]! ? -1 : 1));
    },

    async searchText(query, { match = 'all', limit = 100 } = {}) {
      const tokens = tokenize(query);
      if (tokens.length === 0) return [];
      const postings = await store.postings(tokens);
      const counts = new Map<string, number>();
      for (const signs of postings.values()) for (const s of signs) counts.set(s, (counts.get(s) ?? 0) + 1);
      const need = match === 'all' ? tokens.length : 1;
      const ranked = [...counts].filter(([, n]) => n >= need).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
      return Promise.all(ranked.map(async ([sign, matched]) => ({ sign, matched, text: (await store.getText(sign))?.text ?? '' })));
    },
  };
}

function checkDistance(d: number): void {
  if (!Number.isInteger(d) || d < 0 || d > 64) throw new QuarryError('BAD_DISTANCE', `Expected \`maxDistance\` to be an integer between 0 and 64, got \`${d}\``);
}
