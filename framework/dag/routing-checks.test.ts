import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperatorDescription } from '../wire/index.ts';
import { compileDag, dagOperators, defineDag, formatPlan, type NodeSpec } from './index.ts';

const f = (name: string) => ({ name, kind: 'json' as const, description: '', optional: false });
const op = (name: string, inputs = ['text'], outputs = ['words']): [string, OperatorDescription] => [name, { name, version: '1', resource: 'cpu', inputs: inputs.map(f), outputs: outputs.map(f) }];

const problemsOf = (node: Partial<NodeSpec>, operators?: Map<string, OperatorDescription>): string[] => {
  try {
    compileDag(defineDag({ name: 'd', source: ['text'], keep: ['words'] }, [{ id: 'ocr', operator: 'ocr', reads: ['text'], writes: ['words'], ...node } as NodeSpec]), operators ? { operators } : {});
    return [];
  } catch (err) {
    return (err as { problems: string[] }).problems;
  }
};

describe('DAG routing: fallback, shadow, tenant pools', () => {
  it('compiles the routing into the plan and prints it', () => {
    const spec = defineDag({ name: 'd', source: ['text'], keep: ['words'] }, [
      { id: 'ocr', operator: 'ocr', reads: ['text'], writes: ['words'], fallback: 'ocr-big', shadow: { operator: 'ocr-next', share: 0.25 }, pools: { vip: 'ocr-vip', acme: 'ocr-acme' } },
    ]);
    const node = compileDag(spec).nodes[0]!;
    assert.equal(node.fallback, 'ocr-big');
    assert.deepEqual(node.shadow, { operator: 'ocr-next', share: 0.25 });
    assert.deepEqual(node.pools, { vip: 'ocr-vip', acme: 'ocr-acme' });
    const text = formatPlan(compileDag(spec));
    assert.match(text, /fallback: ocr-big\n/);
    assert.match(text, /shadow: ocr-next \(25% of items\)\n/);
    assert.match(text, /pools: vip → ocr-vip, acme → ocr-acme/);
    assert.deepEqual(dagOperators(spec), ['ocr', 'ocr-big', 'ocr-next', 'ocr-vip', 'ocr-acme'], 'a miner waits for every routed operator');
    assert.equal(compileDag(defineDag({ name: 'd', source: ['text'] }, [{ id: 'ocr', operator: 'ocr', reads: ['text'], shadow: { operator: 'o2' } }])).nodes[0]!.shadow?.share, 1);
  });

  it('rejects routing that names the node\'s own operator, nothing, or a share outside (0, 1]', () => {
    const text = [
      ...problemsOf({ fallback: 'ocr' }),
      ...problemsOf({ fallback: '' }),
      ...problemsOf({ shadow: { operator: 'ocr' } }),
      ...problemsOf({ shadow: { operator: 'o2', share: 0 } }),
      ...problemsOf({ shadow: { operator: 'o2', share: 1.5 } }),
      ...problemsOf({ pools: { vip: 'ocr' } }),
      ...problemsOf({ pools: { vip: '' } }),
    ].join('\n');
    assert.match(text, /node `ocr`: `fallback` names the node's own operator `ocr`/);
    assert.match(text, /node `ocr`: `fallback` must name an operator/);
    assert.match(text, /node `ocr`: `shadow.operator` names the node's own operator/);
    assert.match(text, /`shadow.share` must be a number above 0 and at most 1, got `0`/);
    assert.match(text, /`shadow.share` must be a number above 0 and at most 1, got `1.5`/);
    assert.match(text, /the pool of tenant `vip` names the node's own operator `ocr`/);
    assert.match(text, /the pool of tenant `vip` must name an operator/);
  });

  it('checks every routed operator against Describe, naming its role', () => {
    const ops = new Map([op('ocr'), op('ocr-big'), op('ocr-next', ['text'], ['other']), op('ocr-vip', ['image'])]);
    const text = problemsOf({ fallback: 'ocr-gone', shadow: { operator: 'ocr-next' }, pools: { vip: 'ocr-vip', acme: 'ocr-nope' } }, ops).join('\n');
    assert.match(text, /node `ocr` \(fallback\) names unknown operator `ocr-gone`/);
    assert.match(text, /node `ocr` \(pool of tenant acme\) names unknown operator `ocr-nope`/);
    assert.match(text, /node `ocr` writes field `words`, but operator `ocr-next` has no output `words`/);
    assert.match(text, /node `ocr` reads field `text`, but operator `ocr-vip` has no input `text`/);
    assert.deepEqual(problemsOf({ fallback: 'ocr-big', pools: { vip: 'ocr-big' } }, ops), []);
  });

  it('requires a routed operator to take the node\'s fields as the node\'s own operator does', () => {
    const withKind = (name: string, kind: 'blob' | 'blob-ref'): [string, OperatorDescription] => [name, { name, version: '1', resource: 'cpu', inputs: [{ ...f('image'), kind }], outputs: [f('words')] }];
    const ops = new Map([withKind('ocr', 'blob'), withKind('ocr-big', 'blob-ref'), withKind('ocr-next', 'blob-ref'), withKind('ocr-vip', 'blob')]);
    const compile = (node: Partial<NodeSpec>) => {
      try {
        compileDag(defineDag({ name: 'd', source: ['image'], blobs: ['image'], keep: ['words'] }, [{ id: 'ocr', operator: 'ocr', reads: ['image'], writes: ['words'], ...node } as NodeSpec]), { operators: ops });
        return [];
      } catch (err) {
        return (err as { problems: string[] }).problems;
      }
    };
    const text = compile({ fallback: 'ocr-big', shadow: { operator: 'ocr-next' }, pools: { vip: 'ocr-vip' } }).join('\n');
    assert.match(text, /node `ocr` \(fallback\): operator `ocr-big` takes field `image` as blob-ref, but the node's operator `ocr`, whose Describe shapes the requests, as blob/);
    assert.match(text, /node `ocr` \(shadow\): operator `ocr-next` takes field `image` as blob-ref/);
    assert.doesNotMatch(text, /ocr-vip/);
    assert.deepEqual(compile({ pools: { vip: 'ocr-vip' } }), []);
  });
});
