import { defineDag } from '../../framework/index.ts';

// A DAG is data: nodes with explicit ids, the operator each runs, and the fields it reads and writes.
export default defineDag({ name: 'greet', source: ['name'], keep: ['loud'] }, [
  { id: 'greet', operator: 'greet', reads: ['name'], writes: ['message'], timeoutMs: 5_000 },
  { id: 'shout', operator: 'shout', after: ['greet'], reads: ['message'], writes: ['loud'] },
]);
