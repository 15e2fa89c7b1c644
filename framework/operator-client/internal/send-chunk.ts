// One chunk of items to one operator: pick an instance, send it (EchoBatch, or unary Echo to an
// instance that only speaks that), and on failure decide per item what happens next:
// * RESOURCE_EXHAUSTED: backpressure; another instance is tried, and when every instance pushed
//   back the items are answered RETRY / BACKPRESSURE (their attempts are not spent);
// * an instance that dropped the call after it reached it may have crashed on an input: the
//   chunk is split in halves at once, each sent again (waiting for instances that restart), so
//   one poison input cannot take its batch-mates with it; a single item that crashed two
//   instances is answered FAILED / OPERATOR_CRASHED (the miner quarantines it);
// * a chunk dropped by one instance that no other could take: RETRY / OPERATOR_DROPPED;
// * unreachable instances: RETRY / OPERATOR_UNAVAILABLE once none is left (backpressure);
// * DEADLINE_EXCEEDED: RETRY / DEADLINE_EXCEEDED for the chunk's items.
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { EchoRequest, EchoResponse } from '../../wire/index.ts';
import type { Instance } from './instance.ts';

export interface ChunkContext {
  instances(): readonly Instance[];
  now(): number;
  maxAttempts: number;
  backpressureDelayMs: number;
  stats: { calls: number; resourceExhausted: number; timeouts: number; transportFailures: number; crashes: number };
}

const DROPPED = new Set<number>([grpcStatus.UNAVAILABLE, grpcStatus.INTERNAL, grpcStatus.UNKNOWN, grpcStatus.CANCELLED]);

const answer = (status: EchoResponse['status'], errorCode: string, message: string, retryAfterMs = 0): EchoResponse => ({
  status, errorCode, message, retryAfterMs, fields: {}, blobs: {}, children: [],
});

/** Least items in flight among instances not yet tried whose circuit lets a call through. */
function pick(instances: readonly Instance[], exclude: ReadonlySet<Instance>): Instance | undefined {
  const candidates = instances.filter((i) => !exclude.has(i)).sort((a, b) => a.inFlight - b.inFlight);
  return candidates.find((i) => i.circuit.tryAcquire());
}

async function call(inst: Instance, operator: string, items: readonly EchoRequest[], deadline: number): Promise<EchoResponse[]> {
  if (!inst.unaryOnly) {
    try {
      return await inst.unary<object, EchoResponse[]>('echoBatch', { operator, items }, deadline);
    } catch (err) {
      if ((err as ServiceError).code !== grpcStatus.UNIMPLEMENTED || !/EchoBatch/i.test((err as ServiceError).details ?? '')) throw err;
      inst.unaryOnly = true; // a service from before EchoBatch: speak Echo to it from now on
    }
  }
  return Promise.all(items.map((req) => inst.unary<EchoRequest, EchoResponse>('echo', { ...req, operator }, Math.min(deadline, req.deadlineMs || deadline))));
}

export async function sendChunk(ctx: ChunkContext, operator: string, items: readonly EchoRequest[], crashedOn: ReadonlySet<string> = new Set(), patient = false): Promise<EchoResponse[]> {
  const tried = new Set<Instance>();
  const crashed = new Set(crashedOn);
  let pushedBack = 0;
  let lastError = 'no instance available (all circuits open)';
  const deadline = Math.max(...items.map((r) => r.deadlineMs || 0)) || ctx.now() + 60_000;
  for (let attempt = 0; attempt < ctx.maxAttempts; attempt++) {
    if (ctx.now() >= deadline) return items.map(() => answer('RETRY', 'DEADLINE_EXCEEDED', 'the deadline passed before an instance could take the call'));
    const inst = pick(ctx.instances(), tried);
    if (!inst) break;
    tried.add(inst);
    inst.inFlight += items.length; // reserved now, so a concurrent chunk picks another instance
    try {
      if (!(await inst.connect(Math.min(patient ? 10_000 : 2_000, deadline - ctx.now()), patient))) {
        inst.circuit.onFailure();
        ctx.stats.transportFailures += 1;
        lastError = `${inst.endpoint}: could not connect`;
        continue;
      }
      ctx.stats.calls += 1;
      const res = await call(inst, operator, items, deadline);
      inst.circuit.onSuccess();
      if (res.length !== items.length) return items.map(() => answer('FAILED', 'OPERATOR_MISMATCH', `operator at ${inst.endpoint} answered ${res.length} items for ${items.length}`));
      return res;
    } catch (err) {
      const code = (err as ServiceError).code;
      const details = (err as ServiceError).details ?? String(err);
      lastError = `${inst.endpoint}: ${details}`;
      if (code === grpcStatus.RESOURCE_EXHAUSTED) {
        inst.circuit.onSuccess(); // backpressure is not the instance's fault
        ctx.stats.resourceExhausted += 1;
        pushedBack += 1;
        continue;
      }
      if (code === grpcStatus.DEADLINE_EXCEEDED) {
        inst.circuit.onFailure();
        ctx.stats.timeouts += 1;
        return items.map(() => answer('RETRY', 'DEADLINE_EXCEEDED', `operator call to ${inst.endpoint} exceeded its deadline`));
      }
      if (code === grpcStatus.UNIMPLEMENTED || code === grpcStatus.INVALID_ARGUMENT) {
        return items.map(() => answer('FAILED', 'OPERATOR_MISMATCH', `operator at ${inst.endpoint}: ${details}`));
      }
      inst.circuit.onFailure();
      ctx.stats.transportFailures += 1;
      if (!DROPPED.has(code as number)) break;
      // A refusal ("refused: …") never started the call; anything else dropped it mid-way.
      if (!details.startsWith('refused:')) {
        crashed.add(inst.endpoint);
        ctx.stats.crashes += 1;
        if (items.length > 1) return bisect(ctx, operator, items, crashed);
        if (crashed.size >= 2) return [answer('FAILED', 'OPERATOR_CRASHED', `the input crashed operator \`${operator}\` on ${crashed.size} instances (${[...crashed].join(', ')}); last: ${lastError}`)];
        patient = true;
      }
    } finally {
      inst.inFlight -= items.length;
    }
  }
  if (pushedBack > 0 && pushedBack === tried.size) {
    return items.map(() => answer('RETRY', 'BACKPRESSURE', 'every instance answered RESOURCE_EXHAUSTED', ctx.backpressureDelayMs));
  }
  // Dropped by an instance that was up (it may have crashed on these inputs): the item's attempt
  // counts. Never reached: unavailable, which is backpressure.
  if (crashed.size > 0) return items.map(() => answer('RETRY', 'OPERATOR_DROPPED', `operator \`${operator}\` dropped the call (${[...crashed].join(', ')}): ${lastError}`, 1_000));
  return items.map(() => answer('RETRY', 'OPERATOR_UNAVAILABLE', `operator \`${operator}\` unavailable after ${tried.size} instance(s): ${lastError}`, 1_000));
}

/**
 * An instance dropped the chunk: halve it, until the input that does it stands alone. The halves
 * go one after the other, so a half that crashes an instance cannot take its sibling with it.
 */
async function bisect(ctx: ChunkContext, operator: string, items: readonly EchoRequest[], crashed: ReadonlySet<string>): Promise<EchoResponse[]> {
  const half = Math.ceil(items.length / 2);
  const a = await sendChunk(ctx, operator, items.slice(0, half), crashed, true);
  const b = await sendChunk(ctx, operator, items.slice(half), crashed, true);
  return [...a, ...b];
}
