import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseGateConfig } from './gate-config.ts';
import type { IntakeCounts } from './intake-counts.ts';
import type { QuotaConfig, TenantQuotaStore } from './tenant-quotas.ts';

export interface IntakeCountsHarness {
  /** Fresh state; `leaseMs` is how long a reservation holds its room. */
  open(options: { leaseMs: number }): Promise<{ counts: IntakeCounts; quotas(cfg: QuotaConfig): TenantQuotaStore; close(): Promise<void> }>;
  /** A second handle on the state `open` made last (another process), when the adapter is shared. */
  other?(): Promise<{ counts: IntakeCounts; quotas(cfg: QuotaConfig): TenantQuotaStore; close(): Promise<void> }>;
  cleanup?(): Promise<void>;
}

const limits = parseGateConfig({ intake: { maxPerClass: 10, maxPerTenant: 6, minRetryAfterMs: 200 }, staging: { maxStaged: 100 } }).intake;

/** The IntakeCounts and TenantQuotaStore ports' contract: every adapter's test calls this. */
export function intakeCountsContract(name: string, h: IntakeCountsHarness): void {
  describe(`IntakeCounts contract: ${name}`, () => {
    after(async () => { await h.cleanup?.(); });

    test('reserves all or nothing, per class and per tenant, and says which bound is full', async () => {
      const s = await h.open({ leaseMs: 60_000 });
      try {
        const a = await s.counts.reserve([{ priority: 'normal', tenant: 'a', n: 6 }], limits);
        assert.ok('reserved' in a);
        await s.counts.commit(a.reserved);
        const over = await s.counts.reserve([{ priority: 'normal', tenant: 'a', n: 1 }, { priority: 'normal', tenant: 'b', n: 1 }], limits);
        assert.ok('full' in over && over.retryAfterMs >= 200, JSON.stringify(over));
        assert.match(over.full, /tenant a has 6 normal items waiting/);
        assert.deepEqual(s.counts.perClass(), { high: 0, normal: 6, low: 0 }, 'a refused submission counts nothing');
        const b = await s.counts.reserve([{ priority: 'normal', tenant: 'b', n: 4 }], limits);
        assert.ok('reserved' in b);
        const cls = await s.counts.reserve([{ priority: 'normal', tenant: 'c', n: 1 }], limits);
        assert.ok('full' in cls && /the normal backlog is full \(10 items\)/.test(cls.full), JSON.stringify(cls));
        assert.ok('reserved' in await s.counts.reserve([{ priority: 'high', tenant: 'a', n: 6 }], limits), 'other classes are counted apart');
      } finally { await s.close(); }
    });

    test('admission releases room (never below zero) and makes retry-after estimates shorter', async () => {
      const s = await h.open({ leaseMs: 60_000 });
      try {
        const r = await s.counts.reserve([{ priority: 'low', tenant: 'a', n: 6 }, { priority: 'low', tenant: 'b', n: 4 }], limits);
        assert.ok('reserved' in r);
        await s.counts.commit(r.reserved);
        const idle = await s.counts.reserve([{ priority: 'low', tenant: 'c', n: 5 }], limits);
        assert.ok('full' in idle);
        await s.counts.release([{ priority: 'low', tenant: 'a', n: 3 }]);
        assert.equal(s.counts.perClass().low, 7);
        const busy = await s.counts.reserve([{ priority: 'low', tenant: 'c', n: 5 }], limits);
        assert.ok('full' in busy && busy.retryAfterMs < idle.retryAfterMs, `${JSON.stringify(busy)} after admissions vs ${JSON.stringify(idle)} before`);
        assert.ok('reserved' in await s.counts.reserve([{ priority: 'low', tenant: 'a', n: 3 }], limits), 'tenant a has room again');
        await s.counts.release([{ priority: 'low', tenant: 'b', n: 40 }]);
        assert.ok(s.counts.perClass().low >= 0);
        assert.ok('reserved' in await s.counts.reserve([{ priority: 'low', tenant: 'b', n: 6 }], limits), 'an over-release leaves the tenant at zero, not below');
      } finally { await s.close(); }
    });

    test('a cancelled or unconfirmed reservation gives its room back; a confirmed one keeps it', async () => {
      const s = await h.open({ leaseMs: 300 });
      try {
        const kept = await s.counts.reserve([{ priority: 'high', tenant: 'a', n: 2 }], limits);
        assert.ok('reserved' in kept);
        await s.counts.commit(kept.reserved);
        const cancelled = await s.counts.reserve([{ priority: 'high', tenant: 'a', n: 4 }], limits);
        assert.ok('reserved' in cancelled);
        await s.counts.cancel(cancelled.reserved);
        assert.equal(s.counts.perClass().high, 2);
        const crashed = await s.counts.reserve([{ priority: 'high', tenant: 'a', n: 4 }], limits); // its submitter dies here
        assert.ok('reserved' in crashed);
        assert.ok('full' in await s.counts.reserve([{ priority: 'high', tenant: 'a', n: 1 }], limits));
        await sleep(400);
        assert.ok('reserved' in await s.counts.reserve([{ priority: 'high', tenant: 'a', n: 4 }], limits), 'the lease ran out: room is back');
        await s.counts.cancel(crashed.reserved); // too late: nothing more comes back
        assert.equal(s.counts.perClass().high, 6);
      } finally { await s.close(); }
    });

    test('seeding sets class counts from the durable backlog, plus the room reserved now', async () => {
      const s = await h.open({ leaseMs: 60_000 });
      try {
        const r = await s.counts.reserve([{ priority: 'normal', tenant: 'a', n: 3 }], limits);
        assert.ok('reserved' in r);
        await s.counts.seed({ high: 1, normal: 5, low: 0 });
        assert.deepEqual(s.counts.perClass(), { high: 1, normal: 8, low: 0 });
        assert.ok('full' in await s.counts.reserve([{ priority: 'normal', tenant: 'b', n: 3 }], limits));
      } finally { await s.close(); }
    });

    test('tenant buckets: a burst, then the rate; no quota = no limit; a spend beyond the tokens is owed', async () => {
      const s = await h.open({ leaseMs: 60_000 });
      const cfg = parseGateConfig({ tenants: { quotas: { a: { ratePerSec: 0.001, burst: 5 } } } }).tenants;
      const q = s.quotas(cfg);
      try {
        const t = Date.now();
        assert.deepEqual(await q.available(['a', 'free'], t), new Map([['a', 5], ['free', Infinity]]));
        await q.spend(new Map([['a', 3], ['free', 100]]), t);
        assert.equal((await q.available(['a'], t)).get('a'), 2);
        await q.spend(new Map([['a', 4]]), t);
        assert.ok((await q.available(['a'], t)).get('a')! < 0, 'the debt stays until the rate repays it');
      } finally { await s.close(); }
    });

    if (h.other) {
      test('two handles (two processes) share the counts and the buckets', async () => {
        const s = await h.open({ leaseMs: 60_000 });
        const o = await h.other!();
        const cfg = parseGateConfig({ tenants: { default: { ratePerSec: 0.001, burst: 4 } } }).tenants;
        try {
          const a = await s.counts.reserve([{ priority: 'low', tenant: 'a', n: 5 }], limits);
          assert.ok('reserved' in a);
          const b = await o.counts.reserve([{ priority: 'low', tenant: 'a', n: 2 }], limits);
          assert.ok('full' in b, 'the other process sees the first one\'s items');
          await o.counts.release([{ priority: 'low', tenant: 'a', n: 5 }]);
          assert.ok('reserved' in await s.counts.reserve([{ priority: 'low', tenant: 'a', n: 6 }], limits));
          await s.quotas(cfg).spend(new Map([['t', 3]]), Date.now());
          assert.equal((await o.quotas(cfg).available(['t'], Date.now())).get('t'), 1);
        } finally { await o.close(); await s.close(); }
      });
    }
  });
}
