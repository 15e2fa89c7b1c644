// The machine a benchmark ran on, described the same way in every result file.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpu: string;
  ramGiB: number;
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux: keep what node reports
  }
  return { nproc: cpus().length, cpu, ramGiB: Math.round(totalmem() / 2 ** 30) };
}

export const describeMachine = (m: MachineInfo): string => `${m.nproc} cores, ${m.cpu}, ${m.ramGiB} GiB RAM`;
