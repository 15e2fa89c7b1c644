import type { AdmissionSignals } from '../framework/admission/index.ts';

// The signals are the framework's (its admission port); these read them.
export type { AdmissionSignals };

export function totalLag(s: AdmissionSignals): number {
  let sum = 0;
  for (const v of Object.values(s.lagByNode)) sum += v;
  return sum;
}

export function maxLag(s: AdmissionSignals): number {
  let max = 0;
  for (const v of Object.values(s.lagByNode)) if (v > max) max = v;
  return max;
}
