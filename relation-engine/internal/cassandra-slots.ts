// Time-slotted queues on Cassandra (the churn journal, the due index): entries live in
// partitions (shard, slot), and a small slot index per shard says which slots may hold any.
// A reader visits only those slots, oldest first, and drops a slot it finds empty from the index
// (at the time of its read: a writer's index row written after that survives). An emptied
// partition is then never read again, so the tombstones of processed entries cost nothing later.
import type cassandra from 'cassandra-driver';
import type { ChurnEntry } from '../model.ts';
import type { DueVisit } from '../relation-store.ts';
import type { Queries } from './cassandra-queries.ts';
import type { Stmt } from './cassandra-batch.ts';
import { num } from './cassandra-rows.ts';
import { DUE_SHARDS, DUE_SLOT_MS, JOURNAL_SHARDS, JOURNAL_SLOT_MS } from './cassandra-writes.ts';

type Exec = (query: string, params: unknown[]) => Promise<cassandra.types.ResultSet>;

interface Queue {
  name: string;
  shards: number;
  slotMs: number;
  read: string;
}

export class SlotQueues {
  constructor(private readonly exec: Exec, private readonly q: Queries, private readonly run: (s: Stmt[]) => Promise<void>) {}

  async readJournal(o: { beforeMs: number; limit: number }): Promise<ChurnEntry[]> {
    const rows = await this.read({ name: 'churn', shards: JOURNAL_SHARDS, slotMs: JOURNAL_SLOT_MS, read: this.q.readChurn }, o);
    return rows.map((r) => ({
      kind: String(r['kind']) as ChurnEntry['kind'], id: String(r['id']), version: num(r['version']),
      ...(r['prev_version'] != null ? { prevVersion: num(r['prev_version']) } : {}),
      stale: JSON.parse(String(r['stale'] ?? '[]')) as string[], recordedAtMs: num(r['recorded_at']),
    })).sort((a, b) => a.recordedAtMs - b.recordedAtMs).slice(0, o.limit);
  }

  async readDue(o: { beforeMs: number; limit: number }): Promise<DueVisit[]> {
    const rows = await this.read({ name: 'due', shards: DUE_SHARDS, slotMs: DUE_SLOT_MS, read: this.q.readDue }, o);
    return rows.map((r) => ({ kind: String(r['kind']) as DueVisit['kind'], url: String(r['url']), dueAtMs: num(r['due_at']) }))
      .sort((a, b) => a.dueAtMs - b.dueAtMs).slice(0, o.limit);
  }

  private async read(queue: Queue, o: { beforeMs: number; limit: number }): Promise<cassandra.types.Row[]> {
    const readAtMicros = Date.now() * 1000;
    const last = Math.floor(Math.min(o.beforeMs, Number.MAX_SAFE_INTEGER / 2) / queue.slotMs);
    const drops: Stmt[] = [];
    const perShard = await Promise.all(Array.from({ length: queue.shards }, async (_, shard) => {
      const slots = (await this.exec(this.q.readSlots, [queue.name, shard, last])).rows.map((r) => num(r['slot']));
      const out: cassandra.types.Row[] = [];
      for (const slot of slots) {
        if (out.length >= o.limit) break;
        const rows = (await this.exec(queue.read, [shard, slot, o.beforeMs, o.limit - out.length])).rows;
        out.push(...rows);
        // Empty even for the widest read (all of the slot lies before the cutoff): drop it from the index.
        if (rows.length === 0 && (slot + 1) * queue.slotMs <= o.beforeMs) {
          drops.push({ query: this.q.dropSlot, params: [readAtMicros, queue.name, shard, slot], partition: `s|${queue.name}|${shard}` });
        }
      }
      return out;
    }));
    await this.run(drops);
    return perShard.flat();
  }
}
