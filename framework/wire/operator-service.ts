// The gRPC service definition for `quarry.v1.Operator`, with protobufjs (de)serialisers, so
// the server and the client share one definition and no code generation step is needed.
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  decodeEchoBatchRequest,
  decodeEchoBatchResponse,
  encodeEchoBatchRequest,
  encodeEchoBatchResponse,
  decodeDescribeResponse,
  decodeEchoRequest,
  decodeEchoResponse,
  encodeDescribeResponse,
  encodeEchoRequest,
  encodeEchoResponse,
  HealthResponseType,
  type EchoBatchRequest,
  type EchoRequest,
  type EchoResponse,
  type OperatorDescription,
} from './codec.ts';

export interface HealthStatus {
  serving: boolean;
  inFlight: number;
  capacity: number;
}

const empty = (): Buffer => Buffer.alloc(0);
/** The encoded bytes as a Buffer without copying them (a payload crosses here at every node). */
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export const operatorServiceDefinition = {
  echo: {
    path: '/quarry.v1.Operator/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: EchoRequest) => view(encodeEchoRequest(r)),
    requestDeserialize: (b: Buffer) => decodeEchoRequest(b),
    responseSerialize: (r: EchoResponse) => view(encodeEchoResponse(r)),
    responseDeserialize: (b: Buffer) => decodeEchoResponse(b),
  },
  echoBatch: {
    path: '/quarry.v1.Operator/EchoBatch',
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: EchoBatchRequest) => view(encodeEchoBatchRequest(r)),
    requestDeserialize: (b: Buffer) => decodeEchoBatchRequest(b),
    responseSerialize: (items: EchoResponse[]) => view(encodeEchoBatchResponse(items)),
    responseDeserialize: (b: Buffer) => decodeEchoBatchResponse(b),
  },
  describe: {
    path: '/quarry.v1.Operator/Describe',
    requestStream: false,
    responseStream: false,
    requestSerialize: empty,
    requestDeserialize: () => ({}),
    responseSerialize: (ops: OperatorDescription[]) => Buffer.from(encodeDescribeResponse(ops)),
    responseDeserialize: (b: Buffer) => decodeDescribeResponse(b),
  },
  health: {
    path: '/quarry.v1.Operator/Health',
    requestStream: false,
    responseStream: false,
    requestSerialize: empty,
    requestDeserialize: () => ({}),
    responseSerialize: (h: HealthStatus) => Buffer.from(HealthResponseType.encode(HealthResponseType.fromObject(h)).finish()),
    responseDeserialize: (b: Buffer) =>
      HealthResponseType.toObject(HealthResponseType.decode(b), { defaults: true }) as HealthStatus,
  },
} satisfies ServiceDefinition;
