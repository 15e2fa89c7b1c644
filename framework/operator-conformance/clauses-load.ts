// Clauses on time and load: deadlines, per-item batch statuses, concurrent calls, backpressure,
// Health, and the bearer token.
import { setTimeout as sleep } from 'node:timers/promises';
import { status as grpcStatus } from '@grpc/grpc-js';
import { fail, makeItem, noSample, pass, sameAnswer, show, skip, VARIANTS, type Probe, type Verdict } from './probe.ts';
import { grpcCode, type WireAnswer, type WireHealth } from './wire-client.ts';

const SLACK_MS = 3_000;
const isDeadline = (a: WireAnswer) => a.status === 'RETRY' && a.errorCode === 'DEADLINE_EXCEEDED';
const batched = (p: Probe) => p.desc.maxBatch > 1;

export async function checkDeadlines(p: Probe): Promise<Verdict> {
  if (!p.sample) return noSample(p)!;
  const expired = await p.client.echo(makeItem(p, p.sample.variant(0), { deadlineMs: Date.now() - 1_000 }));
  if (!isDeadline(expired)) return fail(`an item whose deadline_ms passed a second ago answered ${show(expired)}, not RETRY/DEADLINE_EXCEEDED`);
  // A tight per-item deadline on a loaded call: each item is OK in time or DEADLINE_EXCEEDED, and
  // the answer comes about when the deadline passes, not when the work would have ended.
  const n = batched(p) ? Math.min(p.desc.maxBatch, 16) : 1;
  const deadline = Date.now() + 50;
  const items = Array.from({ length: n }, (_, i) => makeItem(p, p.sample!.variant(i % VARIANTS), { deadlineMs: deadline }));
  const answers = n > 1 ? await p.client.echoBatch(p.desc.name, items) : [await p.client.echo(items[0]!)];
  const late = Date.now() - deadline;
  const odd = answers.filter((a) => a.status !== 'OK' && !isDeadline(a));
  if (odd.length > 0) return fail(`under a 50 ms deadline an item answered ${show(odd[0]!)}`);
  if (late > SLACK_MS) return fail(`${n} item(s) with a 50 ms deadline were answered ${late} ms after it`);
  const timedOut = answers.filter(isDeadline).length;
  return pass(`a passed deadline is RETRY/DEADLINE_EXCEEDED; ${n} item(s) under a 50 ms deadline: ${n - timedOut} OK, ${timedOut} DEADLINE_EXCEEDED, answered ${Math.max(0, late)} ms after it`);
}

export async function checkBatch(p: Probe): Promise<Verdict> {
  if (!p.sample) return noSample(p)!;
  if (!batched(p)) return skip(`max_batch ${p.desc.maxBatch}: the miner calls Echo one item at a time`);
  const missing = p.sample.variant(2);
  const required = p.desc.inputs.find((f) => !f.optional);
  if (required) {
    delete missing.fields[required.name];
    delete missing.blobs[required.name];
  }
  const items = [makeItem(p, p.sample.variant(0)), makeItem(p, missing), makeItem(p, p.sample.variant(1), { deadlineMs: Date.now() - 1_000 }), makeItem(p, p.sample.variant(VARIANTS - 1))];
  const answers = await p.client.echoBatch(p.desc.name, items);
  if (answers.length !== items.length) return fail(`${items.length} items got ${answers.length} answers`);
  const [ok0, bad, late, ok3] = answers as [WireAnswer, WireAnswer, WireAnswer, WireAnswer];
  for (const a of [ok0, ok3]) if (a.status === 'OK') p.okAnswers.push(a);
  const problems: string[] = [];
  if (!sameAnswer(ok0, p.references[0]!)) problems.push(`item 0 answered ${show(ok0)}, not its Echo answer`);
  if (required && !(bad.status === 'FAILED' && bad.errorCode === 'INPUT_INVALID')) problems.push(`item 1 (missing \`${required.name}\`) answered ${show(bad)}`);
  if (!isDeadline(late)) problems.push(`item 2 (deadline passed) answered ${show(late)}`);
  if (!sameAnswer(ok3, p.references[VARIANTS - 1]!)) problems.push(`item 3 answered ${show(ok3)}, not its Echo answer`);
  return problems.length > 0 ? fail(problems.join('; ')) : pass('a batch of [ok, missing input, expired, ok] answered [OK, INPUT_INVALID, DEADLINE_EXCEEDED, OK], each with its own outputs, in order');
}

async function withRetry(fn: () => Promise<WireAnswer>): Promise<WireAnswer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (grpcCode(err) !== grpcStatus.RESOURCE_EXHAUSTED || attempt >= 50) throw err;
      await sleep(20 + attempt * 10);
    }
  }
}

export async function checkConcurrency(p: Probe): Promise<Verdict> {
  if (!p.sample) return noSample(p)!;
  const health = await p.client.health();
  const calls = Math.max(2 * VARIANTS, Math.min(32, 2 * Math.max(1, health.capacity)));
  const answers = await Promise.all(Array.from({ length: calls }, (_, k) => withRetry(() => p.client.echo(makeItem(p, p.sample!.variant(k % VARIANTS))))));
  const wrong = answers.map((a, k) => ({ a, k })).filter(({ a, k }) => !sameAnswer(a, p.references[k % VARIANTS]!));
  for (const a of answers) if (a.status === 'OK') p.okAnswers.push(a);
  if (wrong.length > 0) {
    const { a, k } = wrong[0]!;
    return fail(`${wrong.length} of ${calls} concurrent calls answered other than alone, e.g. call ${k}: ${difference(a, p.references[k % VARIANTS]!)}`);
  }
  return pass(`${calls} concurrent calls over ${VARIANTS} different inputs each answered as when alone`);
}

/** The first output that differs, both ways, for a readable verdict. */
function difference(got: WireAnswer, alone: WireAnswer): string {
  if (got.status !== alone.status) return `${show(got)} where alone it answered ${show(alone)}`;
  const text = (b: Uint8Array | undefined) => (b === undefined ? 'nothing' : Buffer.from(b).toString('utf8').slice(0, 80));
  for (const k of new Set([...Object.keys(alone.fields), ...Object.keys(got.fields)])) {
    if (text(got.fields[k]) !== text(alone.fields[k])) return `\`${k}\` was ${text(got.fields[k])} where alone it was ${text(alone.fields[k])}`;
  }
  return 'a blob output differed from the answer alone';
}

export async function checkBackpressure(p: Probe): Promise<Verdict> {
  if (!p.sample) return noSample(p)!;
  const { capacity } = await p.client.health();
  if (capacity < 1) return fail(`Health reports capacity ${capacity}`);
  const perCall = batched(p) ? Math.min(p.desc.maxBatch, 16) : 1;
  let calls = 3 * capacity + 8;
  const errors: string[] = [];
  for (let round = 0; round < 3; round++, calls *= 2) {
    const samples: WireHealth[] = [];
    let flooding = true;
    const started = Date.now();
    const sampler = (async () => {
      while (flooding) {
        samples.push(await p.client.health().catch(() => ({ serving: false, inFlight: -1, capacity: -1 })));
        await sleep(5);
      }
    })();
    const outcomes = await Promise.all(
      Array.from({ length: calls }, async (_, k) => {
        const items = Array.from({ length: perCall }, (_, i) => makeItem(p, p.sample!.variant((k + i) % VARIANTS)));
        try {
          const answers = perCall > 1 ? await p.client.echoBatch(p.desc.name, items) : [await p.client.echo(items[0]!)];
          const odd = answers.find((a) => a.status !== 'OK');
          return odd ? `item answered ${show(odd)}` : 'ok';
        } catch (err) {
          return grpcCode(err) === grpcStatus.RESOURCE_EXHAUSTED ? 'refused' : `call failed with gRPC status ${grpcCode(err)}: ${(err as Error).message}`;
        }
      }),
    );
    flooding = false;
    await sampler;
    const refused = outcomes.filter((o) => o === 'refused').length;
    p.flood = { calls, refused, healthSamples: samples, durationMs: Date.now() - started };
    errors.push(...outcomes.filter((o) => o !== 'ok' && o !== 'refused'));
    if (errors.length > 0) return fail(`under ${calls} concurrent calls (capacity ${capacity}): ${errors[0]} (${errors.length} such)`);
    if (refused > 0) return pass(`${calls} concurrent calls of ${perCall} item(s) to a capacity of ${capacity}: ${refused} refused with RESOURCE_EXHAUSTED, the others OK`);
  }
  // Nothing refused: wrong only if the service was seen at its capacity. A fast operator may just
  // never have had `capacity` calls open at once.
  const seen = Math.max(0, ...(p.flood?.healthSamples.map((h) => h.inFlight) ?? [0]));
  if (seen >= capacity) return fail(`${calls / 2} concurrent calls to a capacity of ${capacity} were all served, none refused with RESOURCE_EXHAUSTED, with up to ${seen} in flight`);
  return skip(`${calls / 2} concurrent calls never had ${capacity} in flight at once (at most ${seen} seen): the operator is too quick for its capacity to be reached; check against a smaller --capacity or a slower --sample`);
}

export async function checkHealth(p: Probe): Promise<Verdict> {
  const idle = await waitIdle(p);
  if (!idle.serving) return fail('Health says not serving while the service answers');
  if (idle.capacity < 1) return fail(`Health reports capacity ${idle.capacity}`);
  if (idle.inFlight !== 0) return fail(`Health reports ${idle.inFlight} in flight when the kit has no call open`);
  const flood = p.flood?.healthSamples.filter((h) => h.capacity >= 0) ?? [];
  const over = flood.find((h) => h.inFlight > h.capacity);
  if (over) return fail(`Health reported ${over.inFlight} in flight over its capacity ${over.capacity}`);
  if (!p.sample) return pass(`serving, capacity ${idle.capacity}, 0 in flight when idle (no sample: in-flight under load not observed)`);
  // One call held open as long as the operator takes for a full batch; Health asked meanwhile.
  const n = batched(p) ? Math.min(p.desc.maxBatch, 16) : 1;
  const items = Array.from({ length: n }, (_, i) => makeItem(p, p.sample!.variant(i % VARIANTS)));
  const started = Date.now();
  let open = true;
  const work = (n > 1 ? p.client.echoBatch(p.desc.name, items) : p.client.echo(items[0]!)).finally(() => (open = false));
  const during: WireHealth[] = [];
  while (open) {
    const h = await p.client.health();
    if (open) during.push(h);
    await sleep(5);
  }
  await work;
  const lasted = Date.now() - started;
  const busiest = Math.max(0, ...during.map((h) => h.inFlight), ...flood.map((h) => h.inFlight));
  if (lasted >= 100 && during.length >= 3 && during.every((h) => h.inFlight === 0)) return fail(`Health reported 0 in flight all ${during.length} times it was asked during a call open for ${lasted} ms`);
  const seen = during.length >= 3 ? `, ${Math.max(0, ...during.map((h) => h.inFlight))} in flight during a call open ${lasted} ms` : ` (calls too quick to observe: ${lasted} ms)`;
  return pass(`serving, capacity ${idle.capacity}, 0 in flight when idle${seen}, at most ${busiest} ≤ capacity under load`);
}

async function waitIdle(p: Probe): Promise<WireHealth> {
  let h = await p.client.health();
  for (let i = 0; i < 100 && h.inFlight !== 0; i++) {
    await sleep(50);
    h = await p.client.health();
  }
  return h;
}

export async function checkToken(p: Probe): Promise<Verdict> {
  if (!p.token) return skip('no --token given');
  const problems: string[] = [];
  for (const [what, token] of [['no token', null], ['a wrong token', `${p.token}-wrong`]] as const) {
    try {
      const a = await p.client.echo(makeItem(p, p.sample?.variant(0) ?? { fields: {}, blobs: {} }), { token });
      problems.push(`a call with ${what} was answered ${show(a)}`);
    } catch (err) {
      if (grpcCode(err) !== grpcStatus.UNAUTHENTICATED) problems.push(`a call with ${what} failed with gRPC status ${grpcCode(err)}, not UNAUTHENTICATED`);
    }
  }
  return problems.length > 0 ? fail(problems.join('; ')) : pass('calls without the token or with a wrong one are UNAUTHENTICATED');
}
