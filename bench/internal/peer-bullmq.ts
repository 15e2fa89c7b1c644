// BullMQ as a peer: six stages as a Node team would build them on BullMQ, in one process. One
// queue per stage, one worker each (`concurrency` jobs at a time), every job `removeOnComplete`; a
// stage hands on by adding the next job from its processor. Jobs carry the tuple as BullMQ jobs do
// (the payload in each job's data), so every stage reads the payload and writes its small field,
// as Quarry's operators do. Two shapes:
// * `chain` (the reference of the ratios, as issue #8 defines it): a → b → c → d → e → f, the
//   idiomatic BullMQ pipeline — no join, so BullMQ does less than Quarry's a → {b, c} → d;
// * `flow`: the core DAG's own shape, the join at d as a flow (FlowProducer): `a` adds d as the
//   parent of b and c, BullMQ holds d until both completed, and d reads their results with
//   `getChildrenValues()`.
import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import type { PipelineTarget } from './closed-loop.ts';

interface StageData {
  key: string;
  /** Only in a's job: the payload size to write. */
  size?: number;
  payload?: string;
  a?: string;
  d?: string;
  e?: string;
}

export interface BullmqPeer extends PipelineTarget {
  close(): Promise<void>;
}

export type BullmqShape = 'chain' | 'flow';

export function startBullmq(o: { redis: string; runId: string; concurrency: number; shape?: BullmqShape }): BullmqPeer {
  const shape = o.shape ?? 'chain';
  const url = new URL(o.redis);
  const connection = { host: url.hostname, port: Number(url.port || 6379) };
  const prefix = `bench-bullmq-${o.runId}-${shape}`;
  const jobOpts = { removeOnComplete: true, removeOnFail: 1000 };
  const queue = (name: string) => new Queue<StageData>(name, { connection, prefix, defaultJobOptions: jobOpts });
  const queues = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => [n, queue(n)])) as Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f', Queue<StageData>>;
  const qa = queues.a;
  const qe = queues.e;
  const qf = queues.f;
  const flow = new FlowProducer({ connection, prefix });
  let terminal: (key: string, state: string) => void = () => {};
  const mod = (p: string | undefined): number => (p ?? '').length % 10;

  /** A chain stage: read the payload, write its field, hand the tuple to the next queue. */
  const link = (next: 'b' | 'c' | 'd' | 'e' | 'f' | undefined, field: 'a' | 'd' | 'e') => async (job: Job<StageData>): Promise<string | undefined> => {
    const mine = `${job.data.a ?? ''}${job.name}${mod(job.data.payload)}`;
    if (next) await queues[next].add(next, { key: job.data.key, payload: job.data.payload!, [field]: mine } as StageData);
    return mine;
  };
  const chain: Record<string, (job: Job<StageData>) => Promise<string | undefined>> = {
    async a(job) {
      await queues.b.add('b', { key: job.data.key, payload: 'x'.repeat(job.data.size ?? 0), a: 'a' });
      return undefined;
    },
    b: link('c', 'a'),
    c: link('d', 'a'),
    d: link('e', 'd'),
    e: link('f', 'e'),
    f: link(undefined, 'e'),
  };
  const flowProcessors: Record<string, (job: Job<StageData>) => Promise<string | undefined>> = {
    async a(job) {
      const payload = 'x'.repeat(job.data.size ?? 0);
      const tuple = { key: job.data.key, payload, a: 'a' };
      await flow.add({
        name: 'd', queueName: 'd', data: tuple, opts: jobOpts,
        children: [
          { name: 'b', queueName: 'b', data: tuple, opts: jobOpts },
          { name: 'c', queueName: 'c', data: tuple, opts: jobOpts },
        ],
      });
      return undefined;
    },
    b: async (job) => `${job.data.a}b${mod(job.data.payload)}`,
    c: async (job) => `${job.data.a}c${mod(job.data.payload)}`,
    async d(job) {
      const children = Object.entries(await job.getChildrenValues<string>());
      const b = children.find(([k]) => k.includes(':b:'))?.[1];
      const c = children.find(([k]) => k.includes(':c:'))?.[1];
      if (b === undefined || c === undefined) throw new Error(`d of ${job.data.key}: expected the results of b and c, got ${JSON.stringify(children)}`);
      await qe.add('e', { key: job.data.key, payload: job.data.payload!, d: `${b}${c}${mod(job.data.payload)}` });
      return undefined;
    },
    async e(job) {
      await qf.add('f', { key: job.data.key, payload: job.data.payload!, e: `${job.data.d}e${mod(job.data.payload)}` });
      return undefined;
    },
    f: async (job) => `${job.data.e}f${mod(job.data.payload)}`,
  };
  const processors = shape === 'chain' ? chain : flowProcessors;
  const workers = Object.entries(processors).map(([name, fn]) => {
    const w = new Worker<StageData, string | undefined>(name, fn, { connection, prefix, concurrency: o.concurrency });
    w.on('failed', (job) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) terminal(job.data.key, 'failed');
    });
    w.on('error', (err) => console.error(`[bullmq] worker ${name}: ${err.message}`));
    if (name === 'f') w.on('completed', (job) => terminal(job.data.key, 'completed'));
    return w;
  });

  return {
    onTerminal: (fn) => {
      terminal = fn;
    },
    async submit(items) {
      await qa.addBulk(items.map((it) => ({ name: 'a', data: { key: it.key, size: it.bytes }, opts: jobOpts })));
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      for (const q of Object.values(queues)) {
        await q.obliterate({ force: true });
        await q.close();
      }
      await flow.close();
    },
  };
}
