// Raw Redis Streams over 6 hops: the limit reference, what the same Redis does with no framework
// on top. Six streams in a chain (the entry and five hand-offs: a → b → c → d → e → f, no join),
// one consumer group each, one consumer per stage on its own connection. A stage reads up to 64
// entries (XREADGROUP … BLOCK), does what the core DAG's operators do (reads the payload, writes a
// small field) and hands the whole batch on in one pipeline: XADD to the next stream, XACK and
// XDEL here (the entries are not kept, as BullMQ's removeOnComplete does not keep jobs).
import { Redis } from 'ioredis';
import type { PipelineTarget } from './closed-loop.ts';

export interface StreamsPeer extends PipelineTarget {
  close(): Promise<void>;
}

const STAGES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
const GROUP = 'g';

export async function startStreams(o: { redis: string; runId: string }): Promise<StreamsPeer> {
  const stream = (s: string) => `bench-streams-${o.runId}:${s}`;
  const submitter = new Redis(o.redis);
  const readers = STAGES.map(() => new Redis(o.redis, { maxRetriesPerRequest: null }));
  for (const s of STAGES) {
    await submitter.xgroup('CREATE', stream(s), GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }
  let terminal: (key: string, state: string) => void = () => {};
  let running = true;

  const stage = async (i: number): Promise<void> => {
    const r = readers[i]!;
    const here = stream(STAGES[i]!);
    const next = STAGES[i + 1];
    while (running) {
      const res = (await r.xreadgroup('GROUP', GROUP, 'c', 'COUNT', 64, 'BLOCK', 1000, 'STREAMS', here, '>')) as [string, [string, string[]][]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const p = r.pipeline();
      const done: string[] = [];
      for (const [, f] of entries) {
        const fields = Object.fromEntries(Array.from({ length: f.length / 2 }, (_, j) => [f[2 * j], f[2 * j + 1]])) as Record<string, string>;
        const key = fields.k!;
        const payload = i === 0 ? 'x'.repeat(Number(fields.n)) : fields.p!;
        const value = `${fields.v ?? ''}${STAGES[i]}${payload.length % 10}`;
        if (next) p.xadd(stream(next), '*', 'k', key, 'p', payload, 'v', value);
        else done.push(key);
      }
      const ids = entries.map(([id]) => id);
      p.xack(here, GROUP, ...ids);
      p.xdel(here, ...ids);
      const out = await p.exec();
      const failed = out?.find(([err]) => err);
      if (failed) throw new Error(`streams stage ${STAGES[i]}: ${String(failed[0])}`);
      for (const key of done) terminal(key, 'completed');
    }
  };
  const loops = STAGES.map((_, i) =>
    stage(i).catch((err: unknown) => {
      if (running) console.error(`[redis-streams] ${String(err)}`);
    }),
  );

  return {
    onTerminal: (fn) => {
      terminal = fn;
    },
    async submit(items) {
      const p = submitter.pipeline();
      for (const it of items) p.xadd(stream('a'), '*', 'k', it.key, 'n', String(it.bytes));
      await p.exec();
    },
    async close() {
      running = false;
      await Promise.all(loops);
      await submitter.del(...STAGES.map(stream));
      for (const c of [submitter, ...readers]) await c.quit();
    },
  };
}
