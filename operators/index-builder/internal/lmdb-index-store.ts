// The embedded IndexStore: one LMDB environment (a directory) with four named databases. A
// content's record keeps the band keys it was filed under, so replacing its hash (or text)
// removes exactly the old entries, in the same transaction that writes the new ones.
import { open, type Database, type RootDatabase } from 'lmdb';
import type { IndexStore, StoredText } from './index-store.ts';

interface PhashRecord {
  phash: string;
  keys: string[];
}

export function openLmdbIndexStore({ path }: { path: string }): IndexStore {
  const root: RootDatabase = open({ path, compression: false });
  const phashes: Database<PhashRecord, string> = root.openDB({ name: 'phash' });
  const bands: Database<string, string> = root.openDB({ name: 'band', dupSort: true, encoding: 'string' });
  const texts: Database<StoredText, string> = root.openDB({ name: 'text' });
  const posts: Database<string, string> = root.openDB({ name: 'post', dupSort: true, encoding: 'string' });

  return {
    async putPhashes(entries) {
      if (entries.length === 0) return;
      await root.transaction(() => {
        for (const { sign, phash, bandKeys: keys } of entries) {
          const old = phashes.get(sign);
          if (old?.phash === phash) continue;
          // Inside a transaction callback the writes commit with it: their promises carry nothing.
          if (old) for (const k of old.keys) void bands.remove(k, `${old.phash}:${sign}`);
          for (const k of keys) void bands.put(k, `${phash}:${sign}`);
          void phashes.put(sign, { phash, keys: [...keys] });
        }
      });
    },
    async getPhash(sign) {
      return phashes.get(sign)?.phash ?? null;
    },
    async bandMembers(keys) {
      const out = new Set<string>();
      for (const k of keys) for (const m of bands.getValues(k)) out.add(m);
      return [...out];
    },
    async *scanPhashes(pageSize = 1_000) {
      let page: [string, string][] = [];
      for (const { key, value } of phashes.getRange()) {
        page.push([key, value.phash]);
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async putTexts(entries) {
      if (entries.length === 0) return;
      await root.transaction(() => {
        for (const { sign, text } of entries) {
          const old = texts.get(sign);
          const next = new Set(text.tokens);
          for (const t of old?.tokens ?? []) if (!next.has(t)) void posts.remove(t, sign);
          for (const t of next) void posts.put(t, sign);
          void texts.put(sign, { text: text.text, tokens: [...next] });
        }
      });
    },
    async getText(sign) {
      return texts.get(sign) ?? null;
    },
    async postings(tokens) {
      return new Map(tokens.map((t) => [t, [...posts.getValues(t)]]));
    },
    async removeContents(signs) {
      if (signs.length === 0) return;
      await root.transaction(() => {
        for (const sign of signs) {
          const ph = phashes.get(sign);
          if (ph) {
            for (const k of ph.keys) void bands.remove(k, `${ph.phash}:${sign}`);
            void phashes.remove(sign);
          }
          const tx = texts.get(sign);
          if (tx) {
            for (const t of tx.tokens) void posts.remove(t, sign);
            void texts.remove(sign);
          }
        }
      });
    },
    async stats() {
      return { phashes: phashes.getCount(), texts: texts.getCount() };
    },
    async close() {
      await root.close();
    },
  };
}
