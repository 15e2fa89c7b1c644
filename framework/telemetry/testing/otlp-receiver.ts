// A real OTLP/HTTP trace receiver on loopback, for tests: it accepts what an OpenTelemetry
// exporter sends to /v1/traces (protobuf or JSON), decodes every span and keeps it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** The resource's service.name. */
  service: string;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message: string };
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  readonly url: string;
  readonly spans: readonly ReceivedSpan[];
  /** The content types of the export requests received (protobuf or JSON). */
  readonly contentTypes: readonly string[];
  /** Resolves once `done(spans)` holds; rejects with what arrived after `timeoutMs`. */
  waitFor(done: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<readonly ReceivedSpan[]>;
  close(): Promise<void>;
}

// The part of opentelemetry/proto/collector/trace/v1 that spans need (field numbers as upstream).
const SCHEMA = `syntax = "proto3";
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Status { string message = 2; int32 code = 3; }
message Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; repeated KeyValue attributes = 9; Status status = 15; }
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }`;
const Request = protobuf.parse(SCHEMA, { keepCase: false }).root.lookupType('ExportTraceServiceRequest');

interface Kv { key: string; value?: { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number } }
type Id = string | Uint8Array;
interface RawSpan { traceId?: Id; spanId?: Id; parentSpanId?: Id; name?: string; attributes?: Kv[]; status?: { code?: number; message?: string } }
interface RawRequest { resourceSpans?: { resource?: { attributes?: Kv[] }; scopeSpans?: { spans?: RawSpan[] }[] }[] }

// OTLP/JSON carries ids as hex already; protobuf as bytes. Hex is how every tracing UI shows them.
const hex = (id: Id | undefined): string => (id === undefined ? '' : typeof id === 'string' ? id : Buffer.from(id).toString('hex'));

const attrs = (list: readonly Kv[] = []) =>
  Object.fromEntries(list.map((kv) => [kv.key, kv.value?.stringValue ?? kv.value?.boolValue ?? (kv.value?.intValue !== undefined ? Number(kv.value.intValue) : kv.value?.doubleValue ?? '')]));

function spansOf(req: RawRequest): ReceivedSpan[] {
  return (req.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), name: s.name ?? '', service,
        attributes: attrs(s.attributes), status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
      })),
    );
  });
}

function decode(contentType: string, body: Buffer): ReceivedSpan[] {
  if (contentType.includes('json')) return spansOf(JSON.parse(body.toString('utf8')) as RawRequest);
  return spansOf(Request.toObject(Request.decode(body), { longs: Number }) as RawRequest);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const type = req.headers['content-type'] ?? '';
      try {
        spans.push(...decode(type, Buffer.concat(chunks)));
        contentTypes.push(type);
        res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' }).end(type.includes('json') ? '{}' : '');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    async waitFor(done, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!done(spans)) {
        if (Date.now() > until) throw new Error(`OTLP receiver: condition not met after ${timeoutMs} ms; received ${spans.length} span(s): ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
