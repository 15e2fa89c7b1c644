import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../framework/errors/index.ts';

// One schema: it gives the defaults, the runtime checks, the types and the docs.
const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();

const quota = z.object({
  ratePerSec: pos.describe('sustained items/s a tenant may have admitted (all classes)'),
  burst: pos.describe('bucket size: items a tenant may have admitted at once'),
});

export const gateConfigSchema = z.object({
  tickMs: pos.default(100).describe('how often the gate polls signals and admits'),
  admission: z.object({
    initialLimit: pos.default(16).describe('in-flight window to start with'),
    minLimit: pos.default(1),
    maxLimit: pos.default(100_000),
    targetQueue: nonNeg.optional().describe('items allowed to wait for a node (its lag); default max(4, the node\'s capacity), or max(4, the DAGs\' capacity / 2) where per-node capacity is unknown'),
    backoff: z.number().gt(0).lt(1).default(0.7).describe('multiplicative decrease on RESOURCE_EXHAUSTED, timeouts or a lag flood'),
    adjustIntervalMs: pos.default(250).describe('the window changes at most this often'),
    maxRatePerSec: pos.optional().describe('hard cap on admissions per second'),
    highBypassPerSec: nonNeg.default(10).describe('items/s high priority may be admitted past a full window (bursts of up to one second\'s worth), so a window that is full, or shrinking under load, never holds it back (0: never)'),
  }).default({}),
  priority: z.object({
    highMaxShare: z.number().gt(0).max(1).default(0.8).describe('share of each admission round high may take while others wait'),
    weights: z.object({ normal: pos.default(3), low: pos.default(1), deferred: pos.default(1) }).default({}),
    agingMs: pos.default(30_000).describe('a lane waiting this long doubles its weight'),
  }).default({}),
  intake: z.object({
    maxPerClass: pos.int().default(1_000_000).describe('backlog items per class before submit answers try-later'),
    maxPerTenant: pos.int().default(40_000).describe('backlog items per class and tenant before try-later; with staging.maxStaged this bounds how far one tenant can push others back'),
    minRetryAfterMs: pos.default(1_000),
  }).default({}),
  tenants: z.object({
    default: quota.optional().describe('quota for tenants not listed; none = only fair share'),
    quotas: z.record(quota).default({}),
  }).default({}),
  deferral: z.object({
    classes: z.array(z.enum(['high', 'normal', 'low'])).default(['low']).describe('priorities whose gpu work is deferred'),
    windows: z.array(z.object({ cron: z.string().min(1), durationMs: pos })).default([]).describe('off-peak windows (UTC cron + length)'),
    spareUtilization: z.number().min(0).max(1).default(0.7).describe('below this bottleneck utilization there is spare capacity even while other lanes wait'),
    maxDrainPerSec: pos.default(1_000).describe('release rate inside a window or with all capacity spare'),
    trickleRatePerSec: nonNeg.default(0).describe('release rate with no window and no spare capacity'),
    leaseMs: pos.default(60_000),
    maxDeferred: pos.int().default(50_000_000),
  }).default({}),
  staging: z.object({
    maxStaged: pos.int().default(50_000).describe('items per class read ahead of admission (memory bound); must exceed intake.maxPerTenant so one tenant cannot hide the others'),
  }).default({}),
}).superRefine((c, ctx) => {
  if (c.intake.maxPerTenant >= c.staging.maxStaged) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['staging', 'maxStaged'],
      message: `> intake.maxPerTenant (${c.intake.maxPerTenant}), so one tenant's backlog cannot hide another's` });
  }
});

export type GateConfig = z.infer<typeof gateConfigSchema>;
export type GateConfigInput = z.input<typeof gateConfigSchema>;

/** Parse once at the edge; every problem is listed in one ConfigError. */
export function parseGateConfig(raw: unknown = {}): GateConfig {
  const res = gateConfigSchema.safeParse(raw ?? {});
  if (res.success) return res.data;
  const problems: ConfigProblem[] = res.error.issues.map((i) => ({
    field: i.path.join('.') || '(root)',
    expected: describeIssue(i),
    received: pick(raw, i.path),
  }));
  throw new ConfigError(problems, 'gate configuration');
}

function describeIssue(i: z.ZodIssue): string {
  switch (i.code) {
    case 'invalid_type': return `a ${i.expected}`;
    case 'too_small': return `${i.inclusive ? '≥' : '>'} ${String(i.minimum)}`;
    case 'too_big': return `${i.inclusive ? '≤' : '<'} ${String(i.maximum)}`;
    case 'invalid_enum_value': return `one of ${i.options.join(', ')}`;
    default: return i.message;
  }
}

function pick(raw: unknown, path: (string | number)[]): unknown {
  let v = raw;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}
