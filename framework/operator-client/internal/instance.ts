// One operator instance behind a client: its gRPC channel (TLS and token as the client's
// security says), circuit breaker and load.
import { Client, connectivityState, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { bearerMetadata, operatorServiceDefinition } from '../../wire/index.ts';
import { CircuitBreaker } from '../circuit-breaker.ts';

export interface InstanceOptions {
  failureThreshold?: number;
  openMs?: number;
  now?: () => number;
}

/** How the channel is secured: built once per client from its security options. */
export interface InstanceChannel {
  credentials: ChannelCredentials;
  token?: string;
}

export interface Instance {
  readonly endpoint: string;
  readonly circuit: CircuitBreaker;
  /** Items in flight on this instance. */
  inFlight: number;
  /** Set once the instance answered UNIMPLEMENTED to EchoBatch: it speaks unary Echo only. */
  unaryOnly: boolean;
  /**
   * Connect (when not connected yet) within `timeoutMs`: true once the channel is ready, so a
   * call that fails after it reached the instance, and not for want of a connection. A failed
   * connection attempt answers false at once, unless `patient` (an instance that is restarting).
   */
  connect(timeoutMs: number, patient?: boolean): Promise<boolean>;
  unary<Req, Res>(method: keyof typeof operatorServiceDefinition, req: Req, deadline: number, signal?: AbortSignal): Promise<Res>;
  close(): void;
}

export function createInstance(endpoint: string, options: InstanceOptions, channel: InstanceChannel): Instance {
  const client = new Client(endpoint, channel.credentials, {
    'grpc.max_receive_message_length': 256 << 20,
    'grpc.max_send_message_length': 256 << 20,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2000,
  });
  return {
    endpoint,
    circuit: new CircuitBreaker({ failureThreshold: options.failureThreshold ?? 5, openMs: options.openMs ?? 5_000, now: options.now ?? Date.now }),
    inFlight: 0,
    unaryOnly: false,
    connect(timeoutMs, patient = false) {
      const channel = client.getChannel();
      const deadline = Date.now() + Math.max(1, timeoutMs);
      // Ready: yes. A failed connection attempt: no, at once (not after the timeout).
      return new Promise((resolve) => {
        const check = (): void => {
          const state = channel.getConnectivityState(true);
          if (state === connectivityState.READY) return resolve(true);
          if ((!patient && state === connectivityState.TRANSIENT_FAILURE) || state === connectivityState.SHUTDOWN || Date.now() >= deadline) return resolve(false);
          channel.watchConnectivityState(state, deadline, check);
        };
        check();
      });
    },
    unary<Req, Res>(method: keyof typeof operatorServiceDefinition, req: Req, deadline: number, signal?: AbortSignal): Promise<Res> {
      const def = operatorServiceDefinition[method];
      return new Promise<Res>((resolve, reject) => {
        const call = client.makeUnaryRequest(
          def.path,
          def.requestSerialize as (v: Req) => Buffer,
          def.responseDeserialize as (b: Buffer) => Res,
          req,
          bearerMetadata(channel.token),
          { deadline },
          (err: ServiceError | null, res?: Res) => (err ? reject(err) : resolve(res as Res)),
        );
        signal?.addEventListener('abort', () => call.cancel(), { once: true });
      });
    },
    close: () => client.close(),
  };
}
