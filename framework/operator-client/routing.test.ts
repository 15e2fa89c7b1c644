// The routing interceptors on plain batch functions: what each does to a call, item by item.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EchoRequest, EchoResponse } from '../wire/index.ts';
import { compareOutputs, intercept, named, shadow, tenantPools, type EchoBatchCall, type EchoBatchFn, type ShadowComparison } from './index.ts';

const enc = new TextEncoder();
const req = (key: string, tenant = 'default'): EchoRequest => ({ trigger: { itemKey: key, tenant } as EchoRequest['trigger'], operator: 'ocr', fields: {}, blobs: {} });
const ok = (fields: Record<string, string> = {}, blobs: Record<string, Uint8Array> = {}): EchoResponse => ({
  status: 'OK', errorCode: '', message: '', retryAfterMs: 0, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, enc.encode(v)])), blobs, children: [],
});
/** A batch function answering `by` = the operator each item was addressed to, recording its calls. */
const recorder = (): { echo: EchoBatchFn; calls: EchoBatchCall[] } => {
  const calls: EchoBatchCall[] = [];
  return { calls, echo: async (call) => (calls.push(call), call.items.map((i) => ok({ by: JSON.stringify(i.operator), key: JSON.stringify(i.trigger.itemKey) }))) };
};
const by = (res: EchoResponse[]): string[] => res.map((r) => JSON.parse(new TextDecoder().decode(r.fields.by)) as string);

describe('routing interceptors', () => {
  it('named: the call and every item carry the other operator\'s name', async () => {
    const r = recorder();
    assert.deepEqual(by(await named(r.echo, 'ocr-big')({ operator: 'ocr', items: [req('a'), req('b')] })), ['ocr-big', 'ocr-big']);
    assert.equal(r.calls[0]!.operator, 'ocr-big');
  });

  it('tenantPools: a tenant with a pool goes to its operator by name, in order with its batch-mates', async () => {
    const primary = recorder();
    const vip = recorder();
    const echo = intercept(primary.echo, [tenantPools({ vip: { operator: 'ocr-vip', echo: vip.echo } })]);
    const res = await echo({ operator: 'ocr', items: [req('a'), req('b', 'vip'), req('c', 'acme')] });
    assert.deepEqual(by(res), ['ocr', 'ocr-vip', 'ocr']);
    assert.deepEqual(vip.calls.map((c) => [c.operator, c.items.map((i) => i.trigger.itemKey)]), [['ocr-vip', ['b']]]);
  });

  it('intercept: the first interceptor is the outermost', async () => {
    const seen: string[] = [];
    const tag = (name: string) => async (call: EchoBatchCall, next: EchoBatchFn) => (seen.push(`${name}>`), await next(call).finally(() => seen.push(`<${name}`)));
    await intercept(recorder().echo, [tag('outer'), tag('inner')])({ operator: 'ocr', items: [req('a')] });
    assert.deepEqual(seen, ['outer>', 'inner>', '<inner', '<outer']);
  });

  it('shadow: never awaited, never used; beyond maxInFlight waiting items the rest go unshadowed', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    const asked: string[] = [];
    const candidate: EchoBatchFn = async (call) => (asked.push(...call.items.map((i) => i.trigger.itemKey)), await hung, call.items.map(() => ok({ by: '"next"' })));
    const compared: ShadowComparison[] = [];
    const skipped: string[] = [];
    const echo = intercept(recorder().echo, [shadow(candidate, (c) => compared.push(c), { operator: 'ocr-next', maxInFlight: 2, onSkipped: (items) => skipped.push(...items.map((i) => i.trigger.itemKey)) })]);
    assert.deepEqual(by(await echo({ operator: 'ocr', items: [req('a'), req('b')] })), ['ocr', 'ocr'], 'answered while the shadow hangs');
    assert.deepEqual(by(await echo({ operator: 'ocr', items: [req('c')] })), ['ocr']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([asked, skipped], [['a', 'b'], ['c']]);
    release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(compared.map((c) => [c.request.trigger.itemKey, by([c.primary])[0], by([c.shadow])[0]]), [['a', 'ocr', 'next'], ['b', 'ocr', 'next']]);
    await echo({ operator: 'ocr', items: [req('d')] });
    await new Promise((r) => setImmediate(r));
    assert.ok(asked.includes('d'), 'room again once the shadow answered');
  });

  it('shadow: a candidate that throws, even synchronously, is the shadow\'s business', async () => {
    const echo = intercept(recorder().echo, [shadow(() => {
      throw new Error('broken');
    }, () => assert.fail('nothing to compare'), { operator: 'ocr-next' })]);
    assert.deepEqual(by(await echo({ operator: 'ocr', items: [req('a')] })), ['ocr']);
    await new Promise((r) => setImmediate(r));
  });

  it('compareOutputs: JSON fields by value (key order and spacing aside), blobs by bytes, missing fields differ', () => {
    const a = ok({ meta: '{"w":1,"h":2}', text: '"hi"', only: '1' }, { img: Uint8Array.of(1, 2) });
    const b = ok({ meta: '{ "h": 2, "w": 1 }', text: '"ho"' }, { img: Uint8Array.of(1, 2) });
    assert.deepEqual(compareOutputs(a, b), { same: false, fields: { meta: true, text: false, only: false, img: true } });
    assert.deepEqual(compareOutputs(a, a).same, true);
    assert.equal(compareOutputs(a, { ...a, status: 'RETRY' }).same, false, 'another status is a disagreement');
    assert.deepEqual(compareOutputs(ok({ x: 'not json' }), ok({ x: 'not json' })).fields, { x: true });
    assert.deepEqual(compareOutputs(ok({}, { img: Uint8Array.of(1) }), ok({}, { img: Uint8Array.of(2) })).fields, { img: false });
  });
});
