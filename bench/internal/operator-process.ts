// The operator process of the distributed backends: serves the core DAG's no-op operators over
// gRPC, as `quarry operator` would in a deployment, and answers its parent (the miner's peer
// process) with the calls it handled, counted at the server by method.
//   node --import tsx bench/internal/operator-process.ts <capacity>   (started by peer-quarry.ts)
import { startCpuProfile, type CpuProfile } from './cpu-profile.ts';
import { instrumentGrpcServers, takeCounters } from './instrument.ts';
import { serveParent } from './ipc.ts';
import { serveCoreOperators } from './quarry-adapter.ts';

instrumentGrpcServers();
const capacity = Number(process.argv[2] ?? 64);
const server = await serveCoreOperators(capacity);
let profile: CpuProfile | undefined;

serveParent(async (req) => {
  switch (req.op) {
    case 'address':
      return server.address;
    case 'counters':
      return takeCounters().grpcByMethod;
    case 'profile':
      profile ??= await startCpuProfile();
      return null;
    case 'close':
      if (profile && typeof req.profilePath === 'string') await profile.write(req.profilePath);
      await server.close();
      return null;
    default:
      throw new Error(`operator process: unknown request \`${req.op}\``);
  }
});
