// Which fields a chained predecessor hands its successor: only those the tuple is sure to hold
// unchanged when the successor runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileDag, defineDag } from '../dag/index.ts';
import { handOffFields, heldFields } from './chain-fields.ts';

const enc = new TextEncoder();
// a → {b, c} → d → e; c rewrites `x` (a wrote it first), `shot` is a blob that b writes.
const plan = compileDag(defineDag({ name: 'hand-off', source: ['url'], blobs: ['shot'], keep: ['out', 'shot'] }, [
  { id: 'a', operator: 'op', reads: ['url'], writes: ['x', 'y'] },
  { id: 'b', operator: 'op', after: ['a'], reads: ['x', 'url'], writes: ['b', 'shot'] },
  { id: 'c', operator: 'op', after: ['a'], reads: ['y'], writes: ['x', 'c'] },
  { id: 'd', operator: 'op', after: ['b', 'c'], reads: ['x', 'y', 'b', 'c', 'url', 'shot'], writes: ['d'] },
  { id: 'e', operator: 'op', after: ['d'], reads: ['d', 'x', 'url', 'y'], writes: ['out'] },
]));
const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
const fields = (from: string, to: string) => [...handOffFields(plan, node(from), node(to))].sort();

describe('chain hand-off fields', () => {
  it('hands on what the predecessor read or wrote, of the successor\'s reads', () => {
    assert.deepEqual(fields('a', 'b'), ['url', 'x']);
    assert.deepEqual(fields('a', 'c'), ['y']);
    assert.deepEqual(fields('d', 'e'), ['d', 'url', 'x', 'y']);
  });

  it('never a field that a node beside the predecessor writes before the successor runs', () => {
    // b read `x`, but c (which d also waits for) rewrites it: d reads it from the tuple.
    assert.deepEqual(fields('b', 'd'), ['b', 'url']);
    // c wrote `x` itself, after a: its value is the one d would read.
    assert.deepEqual(fields('c', 'd'), ['c', 'x', 'y']);
  });

  it('never a blob the predecessor writes: the tuple holds the reference its commit writes', () => {
    assert.ok(!handOffFields(plan, node('b'), node('d')).includes('shot'));
  });

  it('holds the writes over what was read, and leaves out what neither has', () => {
    const read = new Map([['x', enc.encode('"old"')], ['url', enc.encode('"u"')]]);
    const writes = new Map([['x', enc.encode('"new"')]]);
    const held = heldFields(['x', 'url', 'b'], read, writes);
    assert.deepEqual([...held.keys()], ['x', 'url']);
    assert.equal(new TextDecoder().decode(held.get('x')), '"new"');
  });
});
