// The worker pool on a fixture worker: parallel threads, crash replacement, abort, the bounded
// queue, a failed setup, close, and the calling thread staying free while a job blocks its own.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { errorCode, isRetryable } from '../../../../framework/errors/index.ts';
import type { FixtureAnswer, FixtureJob } from './fixture-worker.test-helper.ts';
import { createWorkerPool, type WorkerPool } from './worker-pool.ts';

const script = new URL('./fixture-worker.test-helper.ts', import.meta.url);
const pool = (size: number, extra: { maxQueued?: number; init?: unknown } = {}) =>
  createWorkerPool({ name: 'fixture', script, size, init: extra.init ?? {}, maxQueued: extra.maxQueued ?? 100 });
const run = (p: WorkerPool, job: FixtureJob, signal?: AbortSignal) => p.run<FixtureAnswer>(job, { signal });
const osThreads = () => readdirSync('/proc/self/task').length;

describe('worker pool', () => {
  it('starts threads only when work arrives, up to its size, and runs jobs on them in parallel', async () => {
    const p = pool(2);
    try {
      assert.deepEqual(p.stats(), { threads: 0, busy: 0, queued: 0, crashes: 0 });
      const results = await Promise.all([run(p, { op: 'wait', ms: 300 }), run(p, { op: 'wait', ms: 300 }), run(p, { op: 'echo', value: 'x' })]);
      assert.equal(p.stats().threads, 2);
      assert.equal(new Set(results.map((r) => r.threadId)).size, 2, 'two threads shared the jobs');
      assert.equal(results[2]!.value, 'x');
    } finally {
      await p.close();
    }
  });

  it('keeps the calling thread free while a job blocks its own thread', async () => {
    const p = pool(1);
    try {
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const job = run(p, { op: 'block-until', flag });
      // Only a timer on this thread can release the blocked worker: the job finishing proves the
      // event loop here kept turning while the worker was stuck in a synchronous call.
      const timer = setInterval(() => {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      }, 50);
      try {
        assert.equal((await job).woken, true);
      } finally {
        clearInterval(timer);
      }
    } finally {
      await p.close();
    }
  });

  for (const crash of [{ op: 'exit', code: 3 }, { op: 'throw-uncaught' }] as const) {
    it(`replaces a thread that crashes (${crash.op}); its job fails retryably, the queued one runs`, async () => {
      const p = pool(1);
      try {
        const first = await run(p, { op: 'echo', value: 1 });
        const crashed = run(p, crash);
        const queued = run(p, { op: 'echo', value: 2 });
        await assert.rejects(crashed, (err: Error) => errorCode(err) === 'WORKER_CRASHED' && isRetryable(err) && /fixture worker crashed/.test(err.message));
        const after = await queued;
        assert.equal(after.value, 2);
        assert.notEqual(after.threadId, first.threadId, 'ran on a new thread');
        assert.equal(p.stats().crashes, 1);
        assert.equal(p.stats().threads, 1);
      } finally {
        await p.close();
      }
    });
  }

  it('drops an aborted job from the queue, and discards the result of an aborted running one', async () => {
    const p = pool(1);
    try {
      const running = new AbortController();
      const queued = new AbortController();
      const a = run(p, { op: 'wait', ms: 20_000 }, running.signal);
      const b = run(p, { op: 'echo', value: 'never' }, queued.signal);
      const c = run(p, { op: 'echo', value: 'next' });
      queued.abort();
      await assert.rejects(b, { name: 'AbortError' });
      running.abort(new Error('deadline'));
      await assert.rejects(a, /deadline/);
      // The cancel reached the worker (its 20 s wait ended), and the dropped job never ran there.
      const next = await c;
      assert.equal(next.value, 'next');
      assert.equal(next.ran, 2, 'the worker ran the aborted wait and this job only');
      await assert.rejects(run(p, { op: 'echo', value: 0 }, AbortSignal.abort()), { name: 'AbortError' });
    } finally {
      await p.close();
    }
  });

  it('bounds its queue: past `maxQueued` a job fails retryably at once', async () => {
    const p = pool(1, { maxQueued: 2 });
    try {
      const jobs = [run(p, { op: 'wait', ms: 500 }), run(p, { op: 'echo', value: 1 }), run(p, { op: 'echo', value: 2 })];
      await assert.rejects(run(p, { op: 'echo', value: 3 }), (err: Error) => errorCode(err) === 'WORKER_POOL_FULL' && isRetryable(err));
      await Promise.all(jobs);
    } finally {
      await p.close();
    }
  });

  it('reports a failed setup on the job and tries setup afresh for the next one', async () => {
    const p = pool(1, { init: { failSetup: true } });
    try {
      for (let i = 0; i < 2; i++) {
        await assert.rejects(run(p, { op: 'echo', value: i }), (err: Error) => errorCode(err) === 'FIXTURE_SETUP' && !isRetryable(err));
      }
      assert.equal(p.stats().crashes, 0);
    } finally {
      await p.close();
    }
  });

  it('close() lets running jobs finish, fails queued ones retryably, and leaves no thread', async () => {
    await readFile(new URL(import.meta.url)); // libuv's thread pool starts on first use: count it in
    const before = osThreads();
    const p = pool(3);
    const running = [run(p, { op: 'wait', ms: 300 }), run(p, { op: 'wait', ms: 300 }), run(p, { op: 'wait', ms: 300 })];
    const queued = run(p, { op: 'echo', value: 'late' }).then(() => undefined, (err: Error) => err);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(osThreads() >= before + 3, `expected 3 more OS threads than ${before}, have ${osThreads()}`);
    await p.close();
    await Promise.all(running);
    const refused = await queued;
    assert.ok(refused && errorCode(refused) === 'WORKER_POOL_CLOSED' && isRetryable(refused), String(refused));
    await assert.rejects(run(p, { op: 'echo', value: 1 }), (err: Error) => errorCode(err) === 'WORKER_POOL_CLOSED');
    assert.equal(p.stats().threads, 0);
    assert.ok(osThreads() <= before, `threads left after close: ${osThreads()} > ${before}`);
  });
});
