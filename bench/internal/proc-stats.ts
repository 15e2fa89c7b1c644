// Snapshots the bench takes around every phase, from outside the measured processes:
// * CPU time of a process (all its threads) from /proc/<pid>/stat, utime + stime;
// * the machine's busy CPU from /proc/stat, to tell how much of it was not ours;
// * Redis's own CPU (`INFO cpu`) and command counters (`INFO stats`, `INFO commandstats`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Redis } from 'ioredis';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU ms of a process since it started, or undefined when it is gone (or not Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`, which may contain spaces: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU ms of the whole machine (every core) since boot. */
export function machineCpuMs(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

export interface RedisSnapshot {
  cpuMs: number;
  commands: number;
  byCommand: Record<string, number>;
}

/** One INFO call (counted by Redis itself: `diffRedis` takes it out again). */
export async function redisSnapshot(client: Redis): Promise<RedisSnapshot> {
  const info = await client.info('cpu', 'stats', 'commandstats');
  const num = (k: string): number => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  const byCommand: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) byCommand[m[1]!] = Number(m[2]);
  return { cpuMs: (num('used_cpu_sys') + num('used_cpu_user')) * 1000, commands: num('total_commands_processed'), byCommand };
}

export function diffRedis(a: RedisSnapshot, b: RedisSnapshot): RedisSnapshot {
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byCommand)) {
    const d = v - (a.byCommand[k] ?? 0) - (k === 'info' ? 1 : 0);
    if (d > 0) byCommand[k] = d;
  }
  return { cpuMs: b.cpuMs - a.cpuMs, commands: b.commands - a.commands - 1, byCommand };
}

export function kafkaPid(root: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${root}/.infra/run/kafka.pid`, 'utf8').trim());
    return processCpuMs(pid) === undefined ? undefined : pid;
  } catch {
    return undefined;
  }
}

export const load1 = (): number => Math.round(loadavg()[0]! * 100) / 100;
