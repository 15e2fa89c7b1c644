// The miner's client to one operator. Batches dynamically (items of concurrent calls that arrive
// within `lingerMs` share EchoBatch calls, each at most the operator's batch size), spreads a
// batch over the instances (least items in flight among closed circuits), enforces every item's
// deadline, retries a failed call on another instance, isolates an input that crashes
// instances, and turns RESOURCE_EXHAUSTED into per-item BACKPRESSURE (slow down, not fail).
// It never throws for an item: every outcome is that item's response. Channels are plaintext, or
// TLS (mTLS with a client certificate) with a bearer token, as `security` says.
import { QuarryError } from '../errors/index.ts';
import { clientCredentials, type ClientChannelSecurity, type EchoRequest, type EchoResponse, type HealthStatus, type OperatorDescription } from '../wire/index.ts';
import { explainRefusal } from './internal/explain-refusal.ts';
import { createInstance, type Instance, type InstanceChannel, type InstanceOptions } from './internal/instance.ts';
import { sendChunk } from './internal/send-chunk.ts';

/** Many items for one operator; each item carries its own deadline (`deadlineMs`). */
export interface EchoBatchCall {
  operator: string;
  items: readonly EchoRequest[];
  signal?: AbortSignal;
}

/** One response per item, in order. Never rejects for an item's sake. */
export type EchoBatchFn = (call: EchoBatchCall) => Promise<EchoResponse[]>;

/** Routing composes as interceptors: fallback, shadow, tenant pools … */
export type Interceptor = (call: EchoBatchCall, next: EchoBatchFn) => Promise<EchoResponse[]>;

/** One item, for callers that have one (tests, tools). */
export interface EchoCall {
  request: EchoRequest;
  /** Epoch ms. */
  deadline: number;
  signal?: AbortSignal;
}

export interface OperatorClientOptions extends InstanceOptions {
  /** `host:port` of each instance. */
  endpoints: readonly string[];
  /** Items per EchoBatch call (the operator's `max_batch` from Describe). Default 64. */
  maxBatch?: number;
  /** How long items wait for batch-mates from other calls before they are sent. Default 0 (same tick). */
  lingerMs?: number;
  /** Instances tried per chunk before its items are answered RETRY. Default 3. */
  maxAttempts?: number;
  /** Pause the caller should take after every instance answered RESOURCE_EXHAUSTED. */
  backpressureDelayMs?: number;
  interceptors?: readonly Interceptor[];
  /**
   * TLS (CA, client certificate and key: PEM files) and the bearer token, for every endpoint, or
   * per endpoint. Default: plaintext, no token.
   */
  security?: ChannelSecurityOption;
}

export type ChannelSecurityOption = ClientChannelSecurity | ((endpoint: string) => ClientChannelSecurity);

export interface OperatorClientStats {
  inFlight: number;
  calls: number;
  items: number;
  resourceExhausted: number;
  timeouts: number;
  transportFailures: number;
  crashes: number;
  instances: { endpoint: string; inFlight: number; circuit: string }[];
}

export interface OperatorClient {
  echoBatch: EchoBatchFn;
  /** One item: the response (RETRY with a code when no instance could answer). */
  echo(call: EchoCall): Promise<EchoResponse>;
  describe(options?: { timeoutMs?: number }): Promise<OperatorDescription[]>;
  health(options?: { timeoutMs?: number }): Promise<HealthStatus[]>;
  /** Join an instance that came up later (the directory probes endpoints that were down). */
  addEndpoint(endpoint: string): void;
  readonly endpoints: readonly string[];
  stats(): OperatorClientStats;
  /**
   * Describe and Health reject with QuarryError('OPERATOR_AUTH_FAILED') naming the endpoint and
   * the cause when an instance refused this client's certificate or token, or speaks TLS to a
   * plaintext client (and the other way round).
   */
  close(): void;
}

/** Chunks smaller than this are not split further just to use another instance. */
const MIN_CHUNK = 8;

interface Queued {
  req: EchoRequest;
  resolve: (res: EchoResponse) => void;
}

export function createOperatorClient(options: OperatorClientOptions): OperatorClient {
  if (options.endpoints.length === 0) throw new QuarryError('CONFIG_INVALID', 'an operator client needs at least one endpoint');
  const now = options.now ?? Date.now;
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  const securityOf = (endpoint: string): ClientChannelSecurity => (typeof options.security === 'function' ? options.security(endpoint) : options.security ?? {});
  const shared = typeof options.security === 'function' ? undefined : channelOf(options.security ?? {});
  const open = (endpoint: string) => createInstance(endpoint, options, shared ?? channelOf(securityOf(endpoint)));
  const instances: Instance[] = options.endpoints.map(open);
  const stats = { calls: 0, items: 0, resourceExhausted: 0, timeouts: 0, transportFailures: 0, crashes: 0 };
  const pending = new Map<string, Queued[]>();
  let scheduled = false;

  const ctx = {
    instances: () => instances,
    now,
    maxAttempts: options.maxAttempts ?? 3,
    backpressureDelayMs: options.backpressureDelayMs ?? 500,
    stats,
  };

  /** Split what is queued for one operator into chunks over the usable instances, and send them. */
  function flushOperator(operator: string, queued: Queued[]): void {
    const usable = Math.max(1, instances.filter((i) => i.circuit.state !== 'open').length);
    const count = Math.max(Math.ceil(queued.length / maxBatch), Math.min(usable, Math.ceil(queued.length / MIN_CHUNK)));
    const size = Math.ceil(queued.length / count);
    for (let i = 0; i < queued.length; i += size) {
      const chunk = queued.slice(i, i + size);
      void sendChunk(ctx, operator, chunk.map((q) => q.req)).then((responses) => chunk.forEach((q, j) => q.resolve(responses[j]!)));
    }
  }

  function flush(): void {
    scheduled = false;
    const all = [...pending];
    pending.clear();
    for (const [operator, queued] of all) flushOperator(operator, queued);
  }

  const base: EchoBatchFn = (call) => {
    if (call.items.length === 0) return Promise.resolve([]);
    stats.items += call.items.length;
    const done = Promise.all(call.items.map((req) => new Promise<EchoResponse>((resolve) => {
      let list = pending.get(call.operator);
      if (!list) pending.set(call.operator, (list = []));
      list.push({ req, resolve });
    })));
    if (!scheduled) {
      scheduled = true;
      if (options.lingerMs && options.lingerMs > 0) setTimeout(flush, options.lingerMs);
      else setImmediate(flush);
    }
    return done;
  };
  const chain = (options.interceptors ?? []).reduceRight<EchoBatchFn>((next, interceptor) => (call) => interceptor(call, next), base);

  async function fanOut<T>(method: 'describe' | 'health', timeoutMs: number): Promise<T[]> {
    const deadline = now() + timeoutMs;
    return Promise.all(instances.map((inst) => inst.unary<object, T>(method, {}, deadline).catch(async (err: unknown) => {
      throw (await explainRefusal(inst.endpoint, err, securityOf(inst.endpoint))) ?? err;
    })));
  }

  return {
    echoBatch: chain,
    async echo(call) {
      const [res] = await chain({ operator: call.request.operator, items: [{ ...call.request, deadlineMs: call.deadline }], ...(call.signal ? { signal: call.signal } : {}) });
      return res!;
    },
    describe: async (o = {}) => (await fanOut<OperatorDescription[]>('describe', o.timeoutMs ?? 5_000)).flat(),
    health: (o = {}) => fanOut<HealthStatus>('health', o.timeoutMs ?? 5_000),
    addEndpoint(endpoint) {
      if (!instances.some((i) => i.endpoint === endpoint)) instances.push(open(endpoint));
    },
    get endpoints() {
      return instances.map((i) => i.endpoint);
    },
    stats: () => ({
      ...stats,
      inFlight: instances.reduce((n, i) => n + i.inFlight, 0),
      instances: instances.map((i) => ({ endpoint: i.endpoint, inFlight: i.inFlight, circuit: i.circuit.state })),
    }),
    close() {
      for (const inst of instances) inst.close();
    },
  };
}

function channelOf(security: ClientChannelSecurity): InstanceChannel {
  return { credentials: clientCredentials(security), ...(security.token ? { token: security.token } : {}) };
}
