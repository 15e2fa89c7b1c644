// `--cpu-prof`: a V8 CPU profile of a measured process from its first measured phase to its end
// (warm-up and start-up left out), written as a .cpuprofile that Chrome DevTools or
// `npx speedscope` opens.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Session } from 'node:inspector/promises';

export interface CpuProfile {
  write(path: string): Promise<void>;
}

export async function startCpuProfile(): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 200 µs instead of the default 1 ms: the hot path's calls are short.
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async write(path) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify(profile));
    },
  };
}
