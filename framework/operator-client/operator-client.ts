// The miner's client to one operator: load-balances over its instances (least in-flight among
// those with a closed circuit), enforces the deadline, retries transport failures on another
// instance, and turns RESOURCE_EXHAUSTED into a retryable BACKPRESSURE error (slow down, not fail).
import { Client, credentials, Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { QuarryError } from '../errors/index.ts';
import { operatorServiceDefinition, type EchoRequest, type EchoResponse, type HealthStatus, type OperatorDescription } from '../wire/index.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

export interface EchoCall {
  request: EchoRequest;
  /** Epoch ms. */
  deadline: number;
  signal?: AbortSignal;
}

export type EchoFn = (call: EchoCall) => Promise<EchoResponse>;
/** Routing composes as interceptors: fallback, shadow, tenant pools … */
export type Interceptor = (call: EchoCall, next: EchoFn) => Promise<EchoResponse>;

export interface OperatorClientOptions {
  /** `host:port` of each instance. */
  endpoints: readonly string[];
  maxAttempts?: number;
  failureThreshold?: number;
  openMs?: number;
  /** Pause before retrying after RESOURCE_EXHAUSTED when every instance pushes back. */
  backpressureDelayMs?: number;
  interceptors?: readonly Interceptor[];
  now?: () => number;
}

export interface OperatorClientStats {
  inFlight: number;
  calls: number;
  resourceExhausted: number;
  timeouts: number;
  transportFailures: number;
  instances: { endpoint: string; inFlight: number; circuit: string }[];
}

export interface OperatorClient {
  echo(call: EchoCall): Promise<EchoResponse>;
  describe(options?: { timeoutMs?: number }): Promise<OperatorDescription[]>;
  health(options?: { timeoutMs?: number }): Promise<HealthStatus[]>;
  stats(): OperatorClientStats;
  close(): void;
}

const GenericClient = Client;
const RETRY_ON_OTHER = new Set([grpcStatus.UNAVAILABLE, grpcStatus.INTERNAL, grpcStatus.UNKNOWN, grpcStatus.CANCELLED]);

interface Instance {
  endpoint: string;
  client: Client;
  inFlight: number;
  circuit: CircuitBreaker;
}

export function createOperatorClient(options: OperatorClientOptions): OperatorClient {
  if (options.endpoints.length === 0) throw new QuarryError('CONFIG_INVALID', 'an operator client needs at least one endpoint');
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 3;
  const instances: Instance[] = options.endpoints.map((endpoint) => ({
    endpoint,
    client: new GenericClient(endpoint, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 << 20,
      'grpc.max_send_message_length': 64 << 20,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
    }),
    inFlight: 0,
    circuit: new CircuitBreaker({ failureThreshold: options.failureThreshold ?? 5, openMs: options.openMs ?? 5_000, now }),
  }));
  const stats = { calls: 0, resourceExhausted: 0, timeouts: 0, transportFailures: 0 };
  let rr = 0;

  function pick(exclude: Set<Instance>): Instance | undefined {
    // Least in-flight, round-robin among ties, skipping open circuits and instances already tried.
    let best: Instance | undefined;
    for (let i = 0; i < instances.length; i++) {
      const inst = instances[(rr + i) % instances.length]!;
      if (exclude.has(inst)) continue;
      if (best === undefined || inst.inFlight < best.inFlight) best = inst;
    }
    rr = (rr + 1) % instances.length;
    if (best && best.circuit.tryAcquire()) return best;
    // The least loaded is open: try any other whose circuit lets a call through.
    for (const inst of instances) if (!exclude.has(inst) && inst !== best && inst.circuit.tryAcquire()) return inst;
    return undefined;
  }

  function unary<Req, Res>(inst: Instance, method: keyof typeof operatorServiceDefinition, req: Req, deadline: number, signal?: AbortSignal): Promise<Res> {
    const def = operatorServiceDefinition[method];
    return new Promise<Res>((resolve, reject) => {
      const call = inst.client.makeUnaryRequest(
        def.path,
        def.requestSerialize as (v: Req) => Buffer,
        def.responseDeserialize as (b: Buffer) => Res,
        req,
        new Metadata(),
        { deadline },
        (err: ServiceError | null, res?: Res) => (err ? reject(err) : resolve(res as Res)),
      );
      signal?.addEventListener('abort', () => call.cancel(), { once: true });
    });
  }

  const base: EchoFn = async (call) => {
    stats.calls += 1;
    const tried = new Set<Instance>();
    let lastError: unknown;
    let pushedBack = 0;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (now() >= call.deadline) break;
      const inst = pick(tried);
      if (!inst) break;
      tried.add(inst);
      inst.inFlight += 1;
      try {
        const res = await unary<EchoRequest, EchoResponse>(inst, 'echo', call.request, call.deadline, call.signal);
        inst.circuit.onSuccess();
        return res;
      } catch (err) {
        lastError = err;
        const code = (err as ServiceError).code;
        if (code === grpcStatus.RESOURCE_EXHAUSTED) {
          // Backpressure is not the instance's fault: leave its circuit alone.
          inst.circuit.onSuccess();
          stats.resourceExhausted += 1;
          pushedBack += 1;
          continue;
        }
        if (code === grpcStatus.DEADLINE_EXCEEDED) {
          inst.circuit.onFailure();
          stats.timeouts += 1;
          throw new QuarryError('DEADLINE_EXCEEDED', `operator call to ${inst.endpoint} exceeded its deadline`, { retryable: true, cause: err });
        }
        if (code === grpcStatus.UNIMPLEMENTED || code === grpcStatus.INVALID_ARGUMENT) {
          throw new QuarryError('OPERATOR_MISMATCH', `operator at ${inst.endpoint}: ${(err as ServiceError).details}`, { cause: err });
        }
        inst.circuit.onFailure();
        stats.transportFailures += 1;
        if (!RETRY_ON_OTHER.has(code as grpcStatus)) break;
      } finally {
        inst.inFlight -= 1;
      }
    }
    if (pushedBack > 0 && pushedBack === tried.size) {
      throw new QuarryError('BACKPRESSURE', `every tried instance answered RESOURCE_EXHAUSTED`, {
        retryable: true,
        retryAfterMs: options.backpressureDelayMs ?? 500,
        cause: lastError,
      });
    }
    const details = lastError ? ((lastError as ServiceError).details ?? String(lastError)) : 'no instance available (all circuits open)';
    throw new QuarryError('OPERATOR_UNAVAILABLE', `operator unavailable after ${tried.size} instance(s): ${details}`, { retryable: true, retryAfterMs: 1_000, cause: lastError });
  };

  const chain = (options.interceptors ?? []).reduceRight<EchoFn>((next, interceptor) => (call) => interceptor(call, next), base);

  async function fanOut<T>(method: 'describe' | 'health', timeoutMs: number): Promise<T[]> {
    const deadline = now() + timeoutMs;
    return Promise.all(instances.map((inst) => unary<object, T>(inst, method, {}, deadline)));
  }

  return {
    echo: chain,
    async describe({ timeoutMs = 5_000 } = {}) {
      const deadline = now() + timeoutMs;
      let lastError: unknown;
      for (const inst of instances) {
        try {
          return await unary<object, OperatorDescription[]>(inst, 'describe', {}, deadline);
        } catch (err) {
          lastError = err;
        }
      }
      throw new QuarryError('OPERATOR_UNAVAILABLE', `Describe failed on every instance (${options.endpoints.join(', ')}): ${String((lastError as ServiceError)?.details ?? lastError)}`, { retryable: true });
    },
    health: ({ timeoutMs = 2_000 } = {}) => fanOut<HealthStatus>('health', timeoutMs),
    stats: () => ({
      ...stats,
      inFlight: instances.reduce((n, i) => n + i.inFlight, 0),
      instances: instances.map((i) => ({ endpoint: i.endpoint, inFlight: i.inFlight, circuit: i.circuit.state })),
    }),
    close() {
      for (const inst of instances) inst.client.close();
    },
  };
}
