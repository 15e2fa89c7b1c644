import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { traceExportRequested } from './tracing.ts';

describe('tracing configuration', () => {
  it('exports only when the OTEL_* environment says where or how', () => {
    const table: [Record<string, string>, boolean][] = [
      [{}, false],
      [{ OTEL_SERVICE_NAME: 'x' }, false],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
      [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
      [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
      [{ OTEL_TRACES_EXPORTER: 'console' }, true],
      [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
      [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
    ];
    for (const [env, expected] of table) assert.equal(traceExportRequested(env), expected, JSON.stringify(env));
  });
});
