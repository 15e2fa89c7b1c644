/**
 * Test kit for telemetry: a real OTLP/HTTP receiver that decodes the spans exporters send.
 *
 *   const otlp = await startOtlpReceiver();   // env OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url
 *   await otlp.waitFor((spans) => spans.some((s) => s.name === 'operator ocr'));
 */
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';
