import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ItemRecord } from '../framework/item-ledger/index.ts';
import { formatSummary, summarize } from './crawl-summary.ts';

const rec = (dag: string, itemKey: string, state: ItemRecord['state'], reason?: string, node?: string): ItemRecord => ({ dag, messageId: itemKey, itemKey, state, ...(reason ? { reason } : {}), ...(node ? { node } : {}), createdMs: 0, events: [] });

describe('crawl summary', () => {
  const records = [
    rec('page-ingest', 'http://a.test/', 'completed'),
    rec('page-ingest', 'http://a.test/old', 'filtered', 'unchanged', 'spider'),
    rec('page-ingest', 'http://gone.invalid/', 'dead-lettered', 'retries exhausted after 3 attempt(s): FETCH_FAILED: DNS lookup failed for gone.invalid', 'spider'),
    rec('image-ingest', 'http://a.test/x.png', 'filtered', 'not-an-image', 'fetch'),
    rec('image-ingest', 'http://a.test/dead.png', 'filtered', 'dead-link: http-404', 'fetch'),
    rec('image-ingest', 'http://a.test/same.png', 'filtered', 'known-content', 'link'),
  ];

  it('keeps a dead letter\'s whole cause, and lists every refused or dead-lettered URL with its reason', async () => {
    const s = await summarize({ records, engine: undefined, indexStore: undefined, elapsedMs: 1_000, seeds: ['http://a.test/'] });
    assert.deepEqual(s.rejected, {
      'image-ingest: not-an-image': 1,
      'page-ingest: dead-lettered at spider — retries exhausted after 3 attempt(s): FETCH_FAILED: DNS lookup failed for gone.invalid': 1,
    });
    assert.deepEqual(s.refused.map((r) => `${r.url} ${r.state} ${r.reason}`), [
      'http://a.test/dead.png filtered dead-link: http-404',
      'http://a.test/x.png filtered not-an-image',
      'http://gone.invalid/ dead-lettered retries exhausted after 3 attempt(s): FETCH_FAILED: DNS lookup failed for gone.invalid',
    ]);
    const text = formatSummary(s, { relations: 'embedded:.quarry/relations' });
    assert.match(text, /DNS lookup failed for gone\.invalid/);
    assert.match(text, /^Crawl summary — this run$/m);
    assert.match(text, /^The relation graph now — all runs \(embedded:\.quarry\/relations\)$/m);
    assert.ok(text.indexOf('unique contents') > text.indexOf('The relation graph now'), 'contents are the graph\'s figure');
    assert.ok(text.indexOf('pages crawled') < text.indexOf('The relation graph now'), 'pages crawled is this run\'s figure');
  });
});
