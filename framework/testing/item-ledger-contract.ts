// The conformance suite every ItemLedger adapter's test calls, with the side-cache it keeps its
// tuples in:
//   itemLedgerContract('memory', async ({ now, retentionMs }) => { const sideCache = …; return { ledger, sideCache }; });
// Each case gets a fresh pair (its own namespace) on a fake clock the case moves by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ItemLedger, ItemRef } from '../item-ledger/index.ts';
import { tupleRefOf } from '../item-ledger/index.ts';
import type { SideCache } from '../side-cache/index.ts';
import { advance, bytes, enc, fields, LEASE, nextSeq, openItem, T0, text, uniqueRef } from './internal/ledger-fixtures.ts';
import { runSchedule, scheduleArb } from './internal/ledger-property.ts';

export interface LedgerFactoryOptions {
  now: () => number;
  retentionMs?: number;
}

export interface LedgerUnderTest {
  ledger: ItemLedger;
  sideCache: SideCache;
}

export function itemLedgerContract(name: string, makeAdapter: (options: LedgerFactoryOptions) => Promise<LedgerUnderTest>): void {
  describe(`ItemLedger contract: ${name}`, () => {
    const withLedger = (fn: (ledger: ItemLedger, clock: { t: number }, sideCache: SideCache) => Promise<void>, retentionMs?: number) => async () => {
      const clock = { t: T0 };
      const { ledger, sideCache } = await makeAdapter({ now: () => clock.t, ...(retentionMs ? { retentionMs } : {}) });
      try {
        await fn(ledger, clock, sideCache);
      } finally {
        await ledger.close();
      }
    };
    const read = async (sideCache: SideCache, ref: ItemRef, names: string[]) => (await sideCache.readMany([{ tupleRef: tupleRefOf(ref.dag, ref.messageId), fields: names }]))[0];

    it('opens an item once, with its source fields in its tuple, and reports it in flight', withLedger(async (ledger, _c, sideCache) => {
      const ref = uniqueRef();
      const item = openItem(ref, ['fetch<'], { traceId: 't1', parentId: 'p1', priority: 'high', tenant: 'acme' });
      assert.deepEqual(await ledger.open([item]), [{ status: 'opened' }]);
      // Known and never claimed: its entry trigger may not have left, so the caller produces it again.
      assert.deepEqual(await ledger.open([item]), [{ status: 'in-flight', reproduce: true }]);
      await ledger.claim([{ ref, token: 'fetch<', reads: [] }], LEASE);
      assert.deepEqual(await ledger.open([item]), [{ status: 'in-flight', reproduce: false }]);
      assert.deepEqual(text(await read(sideCache, ref, ['url', 'nope'])), { url: `u-${ref.messageId}` });
      assert.deepEqual(await ledger.get(ref), {
        dag: ref.dag, messageId: ref.messageId, itemKey: item.itemKey, state: 'in-flight', traceId: 't1', parentId: 'p1',
        priority: 'high', tenant: 'acme', createdMs: T0, events: [],
      });
      assert.deepEqual(await ledger.counts(ref.dag), { 'in-flight': 1, completed: 0, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
      assert.deepEqual((await ledger.inFlight(ref.dag)).map((r) => r.messageId), [ref.messageId]);
      assert.equal(await ledger.get(uniqueRef()), null);
    }));

    it('claims read declared fields; a commit writes outputs, opens successors and ends the item with its last token', withLedger(async (ledger, clock, sideCache) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['fetch<'])]);
      const [claim] = await ledger.claim([{ ref, token: 'fetch<', reads: ['url', 'absent'] }], LEASE);
      assert.equal(claim?.status, 'run');
      assert.deepEqual(text(claim?.status === 'run' ? claim.fields : null), { url: `u-${ref.messageId}` });
      assert.deepEqual(await ledger.commit([advance(ref, 'fetch<', { writes: fields({ sign: 'abc' }), successors: ['link<fetch'], event: { node: 'fetch', status: 'ok', atMs: clock.t } })]), [{ status: 'ok', blobRefs: [] }]);
      clock.t += 500;
      const [next] = await ledger.claim([{ ref, token: 'link<fetch', reads: ['sign'] }], { owner: 'w2', leaseMs: 1000 });
      assert.deepEqual(text(next?.status === 'run' ? next.fields : null), { sign: 'abc' });
      const [end] = await ledger.commit([advance(ref, 'link<fetch', { kept: { contentSign: '"abc"' } })]);
      const expected = {
        dag: ref.dag, messageId: ref.messageId, itemKey: `https://example.com/${ref.messageId}.jpg`, state: 'completed',
        createdMs: T0, endedMs: T0 + 500, kept: { contentSign: '"abc"' }, events: [{ node: 'fetch', status: 'ok', atMs: T0 }],
      };
      // The terminal record comes with the commit, not from a second read.
      assert.deepEqual(end, { status: 'ok', terminal: expected, blobRefs: [] });
      assert.deepEqual(await ledger.get(ref), expected);
      assert.equal(await read(sideCache, ref, ['sign']), null, 'the tuple goes with the item');
      assert.deepEqual(await ledger.counts(ref.dag), { 'in-flight': 0, completed: 1, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
      assert.deepEqual(await ledger.inFlight(ref.dag), []);
    }));

    it('repairs through chained successors: what they claimed or opened has no trigger of its own', withLedger(async (ledger) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['a<'])]);
      await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE);
      await ledger.commit([advance(ref, 'a<', { successors: ['b<a', 'c<a'] })]);
      // b is handed over chained and crashes mid-run; c came through its own trigger.
      await ledger.claim([{ ref, token: 'b<a', reads: [], chained: true }], LEASE);
      await ledger.claim([{ ref, token: 'c<a', reads: [] }], LEASE);
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['b<a'] }]);
      // b finishes chained and opens d; d is chained too and commits, opening e, then the process dies.
      await ledger.commit([advance(ref, 'b<a', { successors: ['d<b'] })]);
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['d<b'] }]);
      await ledger.claim([{ ref, token: 'd<b', reads: [], chained: true }], LEASE);
      await ledger.commit([advance(ref, 'd<b', { successors: ['e<d'] })]);
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['e<d'] }]);
      // Below a successor that ran from its own trigger, its own redelivery repairs: c is not looked through.
      await ledger.commit([advance(ref, 'c<a', { successors: ['f<c'] })]);
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['e<d'] }]);
      assert.deepEqual(await ledger.claim([{ ref, token: 'c<a', reads: [] }], LEASE), [{ status: 'done', repair: ['f<c'] }]);
    }));

    it('claims chained successors at the commit that opens them (claimNext), as a chained claim would', withLedger(async (ledger, clock, sideCache) => {
      const ref = uniqueRef();
      const next = (tokens: string[]) => ({ owner: LEASE.owner, leaseMs: LEASE.leaseMs, tokens });
      // c<a is open from the start, so a's commit does not open it and does not claim it.
      await ledger.open([openItem(ref, ['a<', 'c<a'])]);
      await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE);
      assert.deepEqual(await ledger.commit([advance(ref, 'a<', { successors: ['b<a', 'c<a'], claimNext: next(['b<a', 'c<a']) })]), [{ status: 'ok', blobRefs: [], claimed: ['b<a'] }]);
      // b's lease is the owner's: another miner's claim finds it busy; c is free to claim.
      assert.deepEqual(await ledger.claim([{ ref, token: 'b<a', reads: [] }], { owner: 'w2', leaseMs: 1000 }), [{ status: 'busy' }]);
      // A redelivered a repairs b (claimed chained: no trigger of its own) and c (never claimed).
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['b<a', 'c<a'] }]);
      assert.deepEqual(await ledger.commit([advance(ref, 'a<', { successors: ['b<a', 'c<a'], claimNext: next(['b<a']) })]), [{ status: 'already' }]);
      // b commits with no claim of its own; its successor is claimed only while the tuple exists.
      assert.deepEqual(await ledger.commit([advance(ref, 'b<a', { successors: ['d<b'], claimNext: next(['d<b']) })]), [{ status: 'ok', blobRefs: [], claimed: ['d<b'] }]);
      await ledger.claim([{ ref, token: 'c<a', reads: [] }], LEASE);
      await sideCache.deleteTuple(tupleRefOf(ref.dag, ref.messageId));
      assert.deepEqual(await ledger.commit([advance(ref, 'c<a', { successors: ['e<c'], claimNext: next(['e<c']) })]), [{ status: 'ok', blobRefs: [] }]);
      assert.deepEqual(await ledger.claim([{ ref, token: 'e<c', reads: [] }], LEASE), [{ status: 'run', fields: null }]);
      clock.t += LEASE.leaseMs + 1;
      assert.deepEqual(await ledger.claim([{ ref, token: 'd<b', reads: [] }], { owner: 'w2', leaseMs: 1000 }), [{ status: 'run', fields: null }], 'the lease of a claim at the commit expires like any');
      await assert.rejects(ledger.commit([advance(ref, 'd<b', { successors: ['f<d'], claimNext: next(['g<d']) })]), /claimNext/);
    }));

    it('makes redelivery harmless and repairs successors whose trigger never came', withLedger(async (ledger) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['a<'])]);
      await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE);
      await ledger.commit([advance(ref, 'a<', { successors: ['b<a', 'c<a'] })]);
      // `a` is redelivered (its batch was never acknowledged): nobody ran b or c yet, so both may
      // have lost their triggers.
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['b<a', 'c<a'] }]);
      assert.deepEqual(await ledger.commit([advance(ref, 'a<', { successors: ['b<a', 'c<a'] })]), [{ status: 'already' }]);
      await ledger.claim([{ ref, token: 'b<a', reads: [] }], LEASE);
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'done', repair: ['c<a'] }]);
      await ledger.commit([advance(ref, 'b<a')]);
      assert.deepEqual(await ledger.commit([advance(ref, 'b<a')]), [{ status: 'already' }]);
      await ledger.claim([{ ref, token: 'c<a', reads: [] }], LEASE);
      const [last] = await ledger.commit([advance(ref, 'c<a')]);
      assert.equal(last?.status === 'ok' && last.terminal?.state, 'completed');
      assert.deepEqual(await ledger.counts(ref.dag), { 'in-flight': 0, completed: 1, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
    }));

    it('after the end only the record is left: claims say done (with the record), commits already, opens ended', withLedger(async (ledger) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['a<'])]);
      const [end] = await ledger.commit([advance(ref, 'a<')]);
      assert.equal(end?.status === 'ok' && end.terminal?.state, 'completed');
      const [again] = await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE);
      assert.equal(again?.status, 'done');
      assert.equal(again?.status === 'done' && again.ended?.state, 'completed');
      assert.deepEqual(await ledger.commit([advance(ref, 'b<a')]), [{ status: 'already' }]);
      assert.deepEqual(await ledger.open([openItem(ref, ['a<'])]), [{ status: 'ended', state: 'completed' }]);
      assert.deepEqual(await ledger.counts(ref.dag), { 'in-flight': 0, completed: 1, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
    }));

    it('leases a token to one owner until the lease expires; a retry step frees it', withLedger(async (ledger, clock) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['a<'])]);
      const claim = (owner: string) => ledger.claim([{ ref, token: 'a<', reads: [] }], { owner, leaseMs: 1000 }).then(([c]) => c?.status);
      assert.equal(await claim('w1'), 'run');
      assert.equal(await claim('w2'), 'busy');
      clock.t += 600;
      assert.equal(await claim('w1'), 'run'); // renewed until T0 + 1600
      clock.t += 999;
      assert.equal(await claim('w2'), 'busy');
      clock.t += 1;
      assert.equal(await claim('w2'), 'run');
      assert.equal(await claim('w1'), 'busy');
      assert.deepEqual(await ledger.commit([{ ref, token: 'a<', kind: 'retry', event: { node: 'a', status: 'retry', atMs: clock.t, attempt: 0 } }]), [{ status: 'ok', blobRefs: [] }]);
      assert.equal(await claim('w1'), 'run', 'the retry released w2\'s lease');
      assert.equal((await ledger.get(ref))?.events.length, 1);
      await ledger.commit([advance(ref, 'a<')]);
      assert.equal(await claim('w1'), 'done');
    }));

    it('fires a join once, for the arrival completing it (and its redelivery)', withLedger(async (ledger) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['d<b', 'd<c', 'e<c', 'x<z', 'x<y<z'])]);
      const arrive = (token: string, node: string, from: string, expected: string[]) =>
        ledger.claim([{ ref, token, reads: [], join: { node, from, expected } }], LEASE).then(([c]) => c?.status);
      assert.equal(await arrive('d<b', 'd', 'b', ['b', 'c']), 'waiting');
      assert.equal(await arrive('d<b', 'd', 'b', ['b', 'c']), 'waiting');
      assert.equal(await arrive('d<c', 'd', 'c', ['b', 'c']), 'run');
      assert.equal(await arrive('d<c', 'd', 'c', ['b', 'c']), 'run');
      assert.equal(await arrive('d<b', 'd', 'b', ['b', 'c']), 'waiting');
      // Joins are per node; node names that would collide if fields were joined naively stay apart.
      assert.equal(await arrive('e<c', 'e', 'c', ['c']), 'run');
      assert.equal(await arrive('x<z', 'x<y', 'z', ['z', 'q']), 'waiting');
      assert.equal(await arrive('x<y<z', 'x', 'y<z', ['y<z']), 'run');
    }));

    it('fires a join exactly once under concurrent, duplicated arrivals', withLedger(async (ledger) => {
      for (let round = 0; round < 10; round++) {
        const ref = uniqueRef();
        const preds = ['p1', 'p2', 'p3', 'p4', 'p5'];
        await ledger.open([openItem(ref, preds.map((p) => `j<${p}`))]);
        const arrivals = fc.sample(fc.shuffledSubarray([...preds, ...preds], { minLength: 10, maxLength: 10 }), { numRuns: 1, seed: round })[0]!;
        const results = await Promise.all(arrivals.map((from, i) => ledger.claim([{ ref, token: `j<${from}`, reads: [], join: { node: 'j', from, expected: preds } }], { owner: `o${i}`, leaseMs: 1000 })));
        const firing = new Set(arrivals.filter((_, i) => results[i]![0]!.status !== 'waiting'));
        assert.equal(firing.size, 1, `round ${round}: ${JSON.stringify(arrivals)} → ${JSON.stringify(results)}`);
      }
    }));

    it('refuses an arrival the join does not expect', withLedger(async (ledger) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['d<zz'])]);
      await assert.rejects(ledger.claim([{ ref, token: 'd<zz', reads: [], join: { node: 'd', from: 'zz', expected: ['b', 'c'] } }], LEASE), { code: 'JOIN_UNEXPECTED_ARRIVAL' });
    }));

    it('ends early when a token ends early, even though the rest complete; the first early end wins', withLedger(async (ledger, clock) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['link<fetch', 'features<fetch', 'x<'])]);
      await ledger.commit([advance(ref, 'link<fetch', { end: { state: 'filtered', node: 'link', reason: 'dead-link:404' } })]);
      await ledger.commit([advance(ref, 'x<', { end: { state: 'dead-lettered', node: 'x', reason: 'later' } })]);
      assert.equal((await ledger.get(ref))?.state, 'in-flight');
      clock.t += 10;
      const [last] = await ledger.commit([advance(ref, 'features<fetch', { successors: [] })]);
      const record = last?.status === 'ok' ? last.terminal : undefined;
      assert.deepEqual([record?.state, record?.reason, record?.node, record?.endedMs], ['filtered', 'dead-link:404', 'link', T0 + 10]);
      assert.deepEqual(await ledger.counts(ref.dag), { 'in-flight': 0, completed: 0, filtered: 1, 'dead-lettered': 0, quarantined: 0 });
    }));

    it('keeps a bounded history of events', withLedger(async (ledger, clock) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['a<'])]);
      for (let i = 0; i < 60; i++) await ledger.commit([{ ref, token: 'a<', kind: 'retry', event: { node: 'a', status: 'retry', atMs: clock.t + i, attempt: i, code: undefined } }]);
      const [end] = await ledger.commit([advance(ref, 'a<', { event: { node: 'a', status: 'ok', atMs: clock.t + 100, tookMs: 7 } })]);
      const events = end?.status === 'ok' ? end.terminal?.events ?? [] : [];
      assert.equal(events.length, 50);
      assert.deepEqual(events[0], { node: 'a', status: 'retry', atMs: clock.t + 11, attempt: 11 });
      assert.deepEqual(events.at(-1), { node: 'a', status: 'ok', atMs: clock.t + 100, tookMs: 7 });
      assert.deepEqual((await ledger.get(ref))?.events, events);
    }));

    it('releases dead fields, returning the blobs the item owns; detached blobs are not returned', withLedger(async (ledger, _c, sideCache) => {
      const ref = uniqueRef();
      const blobFields = ['html', 'image', 'thumb'];
      await ledger.open([openItem(ref, ['a<'], { fields: new Map([['html', enc.encode('file:html-1')], ['url', bytes('u')]]) })]);
      const [first] = await ledger.commit([advance(ref, 'a<', { writes: new Map([['image', enc.encode('file:image-1')], ['thumb', enc.encode('file:thumb-1')]]), successors: ['b<a'], releases: ['html', 'url'], blobFields })]);
      assert.deepEqual(first, { status: 'ok', blobRefs: ['file:html-1'] });
      assert.deepEqual([...(await read(sideCache, ref, ['html', 'url', 'image']))!.keys()], ['image']);
      const [last] = await ledger.commit([advance(ref, 'b<a', { detach: ['thumb'], blobFields })]);
      assert.deepEqual(last?.status === 'ok' ? last.blobRefs : null, ['file:image-1']);
    }));

    it('finds the latest item by business key, per DAG and tenant; dedupes by key within a window', withLedger(async (ledger, clock) => {
      const key = `https://example.com/${nextSeq()}`;
      const first = uniqueRef('page-ingest');
      await ledger.open([openItem(first, ['a<'], { itemKey: key })]);
      const dup = (ref: ItemRef, tenant?: string) => ledger.open([openItem(ref, ['a<'], { itemKey: key, dedupe: { windowMs: 60_000 }, ...(tenant ? { tenant } : {}) })]).then(([o]) => o);
      assert.deepEqual(await dup(uniqueRef('page-ingest')), { status: 'duplicate', of: first.messageId });
      const other = uniqueRef('page-ingest');
      assert.deepEqual(await dup(other, 'acme'), { status: 'opened' }, 'another tenant\'s item with the same key is its own');
      assert.equal((await ledger.findByKey('page-ingest', key, 'acme'))?.messageId, other.messageId);
      await ledger.commit([advance(first, 'a<', { end: { state: 'filtered', node: 'a', reason: 'robots' } })]);
      assert.equal((await ledger.findByKey('page-ingest', key))?.state, 'filtered');
      clock.t += 59_999;
      assert.deepEqual(await dup(uniqueRef('page-ingest')), { status: 'duplicate', of: first.messageId });
      clock.t += 1;
      const second = uniqueRef('page-ingest');
      assert.deepEqual(await dup(second), { status: 'opened' });
      assert.equal((await ledger.findByKey('page-ingest', key))?.messageId, second.messageId);
      assert.equal(await ledger.findByKey('image-ingest', key), null);
      assert.equal(await ledger.findByKey('page-ingest', `${key}/nope`), null);
    }));

    it('lists items in flight least recently active first (then oldest), up to a limit', withLedger(async (ledger) => {
      const dag = `dag-${process.pid}-${nextSeq()}`;
      const refs = [uniqueRef(dag), uniqueRef(dag), uniqueRef(dag)];
      await ledger.open([openItem(refs[0]!, ['a<'], { createdMs: T0 + 30 }), openItem(refs[1]!, ['a<'], { createdMs: T0 + 10 }), openItem(refs[2]!, ['a<'], { createdMs: T0 + 20 })]);
      assert.deepEqual((await ledger.inFlight(dag)).map((r) => r.messageId), [refs[1], refs[2], refs[0]].map((r) => r!.messageId));
      assert.deepEqual((await ledger.inFlight(dag, 2)).map((r) => r.createdMs), [T0 + 10, T0 + 20]);
      await ledger.commit([advance(refs[2]!, 'a<')]);
      assert.deepEqual((await ledger.inFlight(dag)).map((r) => r.createdMs), [T0 + 10, T0 + 30]);
      assert.equal((await ledger.counts(dag))['in-flight'], 2);
    }));

    it('keeps an ended record for the retention period, then forgets it', withLedger(async (ledger, clock) => {
      const ref = uniqueRef();
      const item = openItem(ref, ['a<']);
      await ledger.open([item]);
      await ledger.commit([advance(ref, 'a<')]);
      clock.t += 59_999;
      assert.equal((await ledger.get(ref))?.state, 'completed');
      assert.equal((await ledger.open([item]))[0]?.status, 'ended');
      clock.t += 1;
      assert.equal(await ledger.get(ref), null);
      assert.equal(await ledger.findByKey(ref.dag, item.itemKey), null);
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'unknown' }]);
      // The counters are a running tally: forgetting a record does not uncount it.
      assert.equal((await ledger.counts(ref.dag)).completed >= 1, true);
      assert.deepEqual(await ledger.open([item]), [{ status: 'opened' }]);
    }, 60_000));

    it('says which items it does not know and which tokens are stale; refuses bad input by name', withLedger(async (ledger) => {
      const ref = uniqueRef();
      assert.deepEqual(await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE), [{ status: 'unknown' }]);
      assert.deepEqual(await ledger.commit([advance(ref, 'a<')]), [{ status: 'unknown' }]);
      await ledger.open([openItem(ref, ['a<'])]);
      assert.deepEqual(await ledger.claim([{ ref, token: 'b<a', reads: [] }], LEASE), [{ status: 'stale' }]);
      assert.deepEqual(await ledger.commit([advance(ref, 'b<a')]), [{ status: 'stale' }]);
      await assert.rejects(ledger.open([openItem(uniqueRef(), [])]), /Expected `tokens` to be at least one token/);
      await assert.rejects(ledger.open([openItem({ dag: 'a{b}', messageId: 'm' }, ['a<'])]), /Expected `dag` to be a non-empty string without braces/);
      await assert.rejects(ledger.claim([{ ref, token: 'a<', reads: [] }], { owner: 'w', leaseMs: 0 }), /Expected `leaseMs` to be a number > 0/);
      await assert.rejects(ledger.commit([advance(ref, 'a<', { end: { state: 'completed' as 'filtered', node: 'a', reason: 'x' } })]), /end.state/);
      assert.equal((await ledger.get(ref))?.state, 'in-flight');
    }));

    it('re-drives a live item from its source: counted, a fresh tuple, old tokens stale', withLedger(async (ledger, clock, sideCache) => {
      const ref = uniqueRef();
      await ledger.open([openItem(ref, ['a<'])]);
      await ledger.commit([advance(ref, 'a<', { writes: fields({ out: 1 }), successors: ['b<a'] })]);
      const redrive = () => ledger.redrive([{ ref, tokens: ['a<'], fields: fields({ url: 'again' }), why: 'tuple missing', node: 'b', atMs: clock.t }]);
      assert.deepEqual(await redrive(), [{ status: 'reset', count: 1 }]);
      assert.deepEqual(text(await read(sideCache, ref, ['url', 'out'])), { url: 'again' });
      assert.deepEqual(await ledger.claim([{ ref, token: 'b<a', reads: [] }], LEASE), [{ status: 'stale' }]);
      assert.equal((await ledger.claim([{ ref, token: 'a<', reads: [] }], LEASE))[0]?.status, 'run');
      assert.deepEqual(await redrive(), [{ status: 'reset', count: 2 }]);
      assert.equal((await ledger.get(ref))?.events.at(-1)?.status, 'redriven');
      assert.equal((await ledger.counts(ref.dag))['in-flight'], 1);
      await ledger.commit([advance(ref, 'a<')]);
      assert.deepEqual(await redrive(), [{ status: 'gone' }]);
    }));

    it('finds stalled items: quiet for idleMs, their unheld open tokens and entry trigger, once per idleMs', withLedger(async (ledger, clock) => {
      const dag = `stall-${nextSeq()}`;
      const [a, b, c] = [uniqueRef(dag), uniqueRef(dag), uniqueRef(dag)];
      const trigger = new Uint8Array([0, 1, 2, 250]);
      await ledger.open([openItem(a, ['a<'], { trigger }), openItem(b, ['a<']), openItem(c, ['a<'], { trigger })]);
      const idle = { idleMs: 1000, limit: 10 };
      const view = (xs: Awaited<ReturnType<ItemLedger['stalled']>>) =>
        xs.map((x) => ({ id: x.ref.messageId, tokens: x.tokens, trigger: x.trigger ? [...x.trigger] : null })).sort((x, y) => x.id.localeCompare(y.id));
      assert.deepEqual(await ledger.stalled(dag, idle), [], 'nothing is quiet yet');
      clock.t += 1000;
      assert.deepEqual(view(await ledger.stalled(dag, idle)), view([{ ref: a, tokens: ['a<'], trigger }, { ref: b, tokens: ['a<'] }, { ref: c, tokens: ['a<'], trigger }]));
      assert.deepEqual(await ledger.stalled(dag, idle), [], 'each one counts as active again: a second sweeper sees nothing');
      // a advances (activity) and opens two successors; one of them is claimed and held.
      await ledger.claim([{ ref: a, token: 'a<', reads: [] }], LEASE);
      clock.t += 500;
      await ledger.commit([advance(a, 'a<', { successors: ['b<a', 'c<a'] })]);
      await ledger.claim([{ ref: a, token: 'b<a', reads: [] }], { owner: 'w1', leaseMs: 5000 });
      await ledger.redrive([{ ref: c, tokens: ['a<'], fields: fields({ url: 'again' }), why: 'test', node: 'a', atMs: clock.t }]);
      clock.t += 600;
      assert.deepEqual((await ledger.stalled(dag, { idleMs: 1000, limit: 1 })).map((x) => x.ref.messageId), [b.messageId], 'least recently active first, at most limit');
      clock.t += 500;
      assert.deepEqual(view(await ledger.stalled(dag, idle)), view([{ ref: a, tokens: ['c<a'], trigger }, { ref: c, tokens: ['a<'], trigger }]), 'a held token is left out; a re-drive keeps the trigger');
      // An ended item is never stalled.
      for (const [ref, token] of [[a, 'b<a'], [a, 'c<a'], [b, 'a<'], [c, 'a<']] as const) {
        await ledger.claim([{ ref, token, reads: [] }], LEASE);
        await ledger.commit([advance(ref, token)]);
      }
      clock.t += 5000;
      assert.deepEqual(await ledger.stalled(dag, idle), []);
      await assert.rejects(ledger.stalled(dag, { idleMs: -1, limit: 1 }), /idleMs/);
    }));

    it('remembers inputs that crash operators', withLedger(async (ledger) => {
      const fp = `fp-${process.pid}-${nextSeq()}`;
      assert.deepEqual(await ledger.isPoison([fp, `${fp}-other`]), [false, false]);
      await ledger.markPoison([fp], 'dag/node');
      assert.deepEqual(await ledger.isPoison([fp, `${fp}-other`]), [true, false]);
    }));

    it('ends every item exactly once under random interleavings, redeliveries and crashes (property)', withLedger(async (ledger, clock) => {
      await fc.assert(
        fc.asyncProperty(scheduleArb, async (schedule) => {
          await runSchedule(ledger, clock, schedule);
        }),
        { numRuns: Number(process.env.QUARRY_LEDGER_PROPERTY_RUNS ?? 100) },
      );
    }));
  });
}
