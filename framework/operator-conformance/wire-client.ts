// The whole `quarry.v1.Operator` service (EchoBatch included) as protobufjs-backed plain objects,
// from the wire component's loaded proto: what the kit sends is exactly what the contract says.
import { Client, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { bearerMetadata, clientCredentials, EchoRequestType, type ClientChannelSecurity } from '../wire/index.ts';

const root = EchoRequestType.root;
const type = (name: string): protobuf.Type => root.lookupType(`quarry.v1.${name}`);
const T = {
  echoReq: type('EchoRequest'),
  echoRes: type('EchoResponse'),
  batchReq: type('EchoBatchRequest'),
  batchRes: type('EchoBatchResponse'),
  describeReq: type('DescribeRequest'),
  describeRes: type('DescribeResponse'),
  healthReq: type('HealthRequest'),
  healthRes: type('HealthResponse'),
};

export type ItemStatus = 'OK' | 'FILTERED' | 'RETRY' | 'FAILED' | 'STATUS_UNSPECIFIED';

export interface WireTrigger {
  messageId: string;
  itemKey: string;
  dag: string;
  node: string;
  tupleRef: string;
  originId?: string;
  traceparent?: string;
  tenant?: string;
  source?: Record<string, string>;
}

export interface WireItem {
  trigger: WireTrigger;
  operator?: string;
  fields: Record<string, Uint8Array>;
  blobs: Record<string, Uint8Array>;
  deadlineMs?: number;
  traceparent?: string;
}

export interface WireAnswer {
  status: ItemStatus;
  errorCode: string;
  message: string;
  retryAfterMs: number;
  fields: Record<string, Uint8Array>;
  blobs: Record<string, Uint8Array>;
  children: { itemKey: string; dag: string; source: Record<string, string> }[];
}

export interface WireFieldSpec {
  name: string;
  kind: string;
  description: string;
  optional: boolean;
  maxBytes: number;
}

export interface WireDescription {
  name: string;
  version: string;
  inputs: WireFieldSpec[];
  outputs: WireFieldSpec[];
  resource: string;
  maxBatch: number;
  batchNative: boolean;
  concurrency: number;
}

export interface WireHealth {
  serving: boolean;
  inFlight: number;
  capacity: number;
}

const OBJ: protobuf.IConversionOptions = { longs: Number, enums: String, bytes: Buffer as unknown as typeof String, defaults: true, arrays: true, objects: true };
const enc = (t: protobuf.Type) => (v: object): Buffer => Buffer.from(t.encode(t.fromObject(v)).finish());
const dec = <R>(t: protobuf.Type) => (b: Buffer): R => t.toObject(t.decode(b), OBJ) as R;
const method = (name: string, req: protobuf.Type, res: protobuf.Type) => ({
  path: `/quarry.v1.Operator/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: enc(req),
  requestDeserialize: dec(req),
  responseSerialize: enc(res),
  responseDeserialize: dec(res),
});

/** The service with all four methods; usable by a client and by a (test) server alike. */
export const operatorContract = {
  echo: method('Echo', T.echoReq, T.echoRes),
  echoBatch: method('EchoBatch', T.batchReq, T.batchRes),
  describe: method('Describe', T.describeReq, T.describeRes),
  health: method('Health', T.healthReq, T.healthRes),
} satisfies ServiceDefinition;

/** TLS (CA, client certificate and key: PEM files) and the token, built as the miner builds them. */
export type ChannelOptions = ClientChannelSecurity;

export interface ContractClient {
  describe(): Promise<WireDescription[]>;
  health(): Promise<WireHealth>;
  echo(item: WireItem, options?: { timeoutMs?: number; token?: string | null }): Promise<WireAnswer>;
  echoBatch(operator: string, items: WireItem[], options?: { timeoutMs?: number }): Promise<WireAnswer[]>;
  close(): void;
}

export function createContractClient(address: string, options: ChannelOptions = {}): ContractClient {
  const client = new Client(address, clientCredentials(options), { 'grpc.max_receive_message_length': 128 << 20, 'grpc.max_send_message_length': 128 << 20 });
  function call<Req, Res>(m: keyof typeof operatorContract, req: Req, timeoutMs: number, token: string | null | undefined = options.token): Promise<Res> {
    const def = operatorContract[m];
    const metadata = bearerMetadata(token ?? undefined);
    return new Promise<Res>((resolve, reject) => {
      client.makeUnaryRequest(def.path, def.requestSerialize as (v: Req) => Buffer, def.responseDeserialize as (b: Buffer) => Res, req, metadata, { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: Res) =>
        err ? reject(err) : resolve(res as Res),
      );
    });
  }
  return {
    describe: async () => (await call<object, { operators: WireDescription[] }>('describe', {}, 15_000)).operators,
    health: () => call<object, WireHealth>('health', {}, 5_000),
    echo: (item, o = {}) => call<WireItem, WireAnswer>('echo', item, o.timeoutMs ?? 60_000, o.token === undefined ? options.token : o.token),
    echoBatch: async (operator, items, o = {}) => (await call<object, { items: WireAnswer[] }>('echoBatch', { operator, items }, o.timeoutMs ?? 60_000)).items,
    close: () => client.close(),
  };
}

/** The gRPC status code of a failed call (undefined when the call did not fail with one). */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as Partial<ServiceError> | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
