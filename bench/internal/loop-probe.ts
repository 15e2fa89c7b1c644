// The machine's own noise floor for event-loop stalls: an idle Node process measuring its event
// loop's delay while a run goes on beside it. On a shared, loaded machine an idle loop also waits
// for a CPU; a stall in the OCR process beyond this floor is the OCR process's own doing.
import { spawn } from 'node:child_process';

const PROBE = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const h = monitorEventLoopDelay({ resolution: 5 });
h.enable();
const keep = setInterval(() => {}, 1000);
process.stdin.on('data', () => {});
process.stdin.on('end', () => {
  h.disable();
  clearInterval(keep);
  process.stdout.write(JSON.stringify({ maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 }));
});
process.stdout.write('ready\\n');
`;

export interface Probe {
  stop(): Promise<{ maxMs: number; p99Ms: number }>;
}

export async function startLoopProbe(): Promise<Probe> {
  const child = spawn(process.execPath, ['-e', PROBE], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (c: string) => {
      out += c;
      if (out.startsWith('ready\n')) resolve();
    });
  });
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        child.once('exit', () => {
          try {
            resolve(JSON.parse(out.slice('ready\n'.length)) as { maxMs: number; p99Ms: number });
          } catch {
            reject(new Error(`loop probe printed no result: ${out}`));
          }
        });
        child.stdin.end();
      }),
  };
}
