import { startRuntime } from '../../framework/index.ts';
import greetDag from './greet-dag.ts';
import { createGreetOperator, shout } from './operators.ts';

// Run the DAG on the embedded default: in-process bus, state and operators (no server, no gRPC).
const rt = await startRuntime({ dags: [greetDag], operators: [createGreetOperator({ greeting: 'Hello' }), shout] });
await rt.submit([
  { dag: 'greet', itemKey: 'ada', source: { name: 'Ada' } },
  { dag: 'greet', itemKey: 'nobody', source: { name: ' ' } },
]);
await rt.idle();
for (const r of rt.terminal) console.log(r.itemKey, r.state, r.reason ?? r.kept?.loud);
await rt.close();
