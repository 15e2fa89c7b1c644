import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperatorDescription } from '../wire/index.ts';
import { compileDag, defineDag, formatPlan, type NodeSpec } from './index.ts';

const problemsOf = (nodes: NodeSpec[], opts: Parameters<typeof defineDag>[0] = { name: 'd', source: ['url'] }, operators?: Map<string, OperatorDescription>) => {
  try {
    compileDag(defineDag(opts, nodes), operators ? { operators } : {});
    return [];
  } catch (err) {
    assert.equal((err as { code: string }).code, 'DAG_INVALID');
    return (err as { problems: string[] }).problems;
  }
};

describe('DAG compiler', () => {
  const diamond: NodeSpec[] = [
    { id: 'fetch', operator: 'fetch', reads: ['url'], writes: ['html', 'status'] },
    { id: 'parse', operator: 'parse', after: ['fetch'], reads: ['html'], writes: ['links', 'unused'] },
    { id: 'meta', operator: 'meta', after: ['fetch'], reads: ['html', 'status'], writes: ['title'] },
    { id: 'store', operator: 'store', after: ['parse', 'meta'], reads: ['links', 'title'] },
  ];

  it('compiles a diamond with a join, topics, dead writes and releases', () => {
    const plan = compileDag(defineDag({ name: 'pages', source: ['url'], blobs: ['html'], keep: ['title'] }, diamond));
    assert.deepEqual(plan.order, ['fetch', 'parse', 'meta', 'store']);
    const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
    assert.equal(node('store').join, true);
    assert.deepEqual(node('store').predecessors, ['parse', 'meta']);
    assert.equal(node('fetch').topic, 'quarry.pages.fetch');
    assert.deepEqual(node('parse').deadWrites, ['unused'], 'nobody reads `unused`');
    assert.deepEqual(node('parse').writes, ['links']);
    // html is read by parse and meta, which run in parallel: neither can release it alone.
    assert.deepEqual(node('parse').releases, []);
    assert.deepEqual(node('meta').releases, ['status']);
    // title is kept (the sink keeps it), so it is never released; links die after store.
    assert.deepEqual(node('store').releases, ['links']);
    assert.match(formatPlan(plan), /\[store\] operator store {2}\(join\)/);
    assert.equal(plan.topics.deadLetter, 'quarry.pages.dlq');
  });

  it('rejects a cycle, naming it', () => {
    const p = problemsOf([
      { id: 'a', operator: 'x', reads: ['url'] },
      { id: 'b', operator: 'x', after: ['a', 'c'], reads: ['url'] },
      { id: 'c', operator: 'x', after: ['b'], reads: ['url'] },
    ]);
    assert.match(p.join('\n'), /cycle through `b` → `c` → `b`/);
  });

  it('rejects unknown nodes, duplicate ids, and unreachable nodes', () => {
    assert.match(problemsOf([{ id: 'a', operator: 'x', reads: ['url'] }, { id: 'b', operator: 'x', after: ['zz'], reads: ['url'] }]).join(), /`b` comes after unknown node `zz`/);
    assert.match(problemsOf([{ id: 'a', operator: 'x', reads: ['url'] }, { id: 'a', operator: 'y', reads: ['url'] }]).join(), /duplicate node id `a`/);
    assert.match(problemsOf([{ id: 'a', operator: 'x', reads: ['url'] }, { id: 'b', operator: 'x', reads: ['url'] }]).join(), /node `b` is unreachable from the entry `a`/);
  });

  it('rejects a read that nothing upstream writes, and parallel writers of one field', () => {
    const p = problemsOf([
      { id: 'a', operator: 'x', reads: ['url'], writes: ['x'] },
      { id: 'b', operator: 'x', after: ['a'], reads: ['nope'], writes: ['y'] },
      { id: 'c', operator: 'x', after: ['a'], reads: ['x'], writes: ['y'] },
    ]);
    assert.ok(p.some((m) => /node `b` reads field `nope`, which no upstream node writes/.test(m)), p.join('\n'));
    assert.ok(p.some((m) => /field `y` is written by nodes `b` and `c`, which can run in parallel/.test(m)), p.join('\n'));
  });

  it('a read of a field written only by a parallel branch is rejected', () => {
    const p = problemsOf([
      { id: 'a', operator: 'x', reads: ['url'] },
      { id: 'b', operator: 'x', after: ['a'], reads: ['url'], writes: ['y'] },
      { id: 'c', operator: 'x', after: ['a'], reads: ['y'] },
    ]);
    assert.match(p.join(), /node `c` reads field `y`/);
  });

  it('checks node fields against operator descriptions', () => {
    const f = (name: string, kind: 'json' | 'blob' = 'json', optional = false) => ({ name, kind, description: '', optional });
    const ops = new Map<string, OperatorDescription>([
      ['fetch', { name: 'fetch', version: '1', resource: 'cpu', inputs: [f('url')], outputs: [f('html', 'blob'), f('status')] }],
      ['parse', { name: 'parse', version: '1', resource: 'cpu', inputs: [f('html', 'blob'), f('base')], outputs: [f('links')] }],
    ]);
    const p = problemsOf(
      [
        { id: 'fetch', operator: 'fetch', reads: ['url'], writes: ['html', 'title'] },
        { id: 'parse', operator: 'parse', after: ['fetch'], reads: ['html', 'url'], writes: ['links'] },
        { id: 'ocr', operator: 'ocr', after: ['parse'], reads: ['links'] },
      ],
      { name: 'd', source: ['url'] },
      ops,
    );
    const text = p.join('\n');
    assert.match(text, /node `fetch` writes field `title`, but operator `fetch` has no output `title`/);
    assert.match(text, /node `parse` reads field `url`, but operator `parse` has no input `url`/);
    assert.match(text, /node `parse` does not read field `base`, a required input of operator `parse`/);
    assert.match(text, /node `ocr` names unknown operator `ocr`/);
    assert.match(text, /field `html` is a blob for operator `fetch` but not declared in the DAG's `blobs`/);
  });

  it('a deferred edge hands its blob fields over: never released here', () => {
    const plan = compileDag(defineDag({ name: 'img', source: ['url'], blobs: ['image'] }, [
      { id: 'fetch', operator: 'f', reads: ['url'], writes: ['image', 'sign'] },
      { id: 'feat', operator: 'g', after: ['fetch'], reads: ['image'], writes: [] },
      { id: 'to-ocr', kind: 'defer', after: ['feat'], dag: 'ocr', fields: ['sign', 'image'] },
    ]));
    assert.deepEqual(plan.handedOff, ['image']);
    assert.deepEqual(plan.nodes.find((n) => n.id === 'feat')!.releases, []);
    assert.deepEqual(plan.nodes.find((n) => n.id === 'to-ocr')!.releases, ['sign']);
  });
});
