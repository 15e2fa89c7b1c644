// A mock operator context so an operator's handler can be unit-tested as the plain function it is.
import { trace } from '@opentelemetry/api';
import type { ChildItem, OperatorContext, TriggerInfo } from '../operator-sdk/define-operator.ts';

export interface MockOperatorContext extends OperatorContext {
  readonly children: ChildItem[];
  readonly logs: { level: string; message: string; attributes?: Record<string, unknown> }[];
}

export function mockOperatorContext(overrides: { trigger?: Partial<TriggerInfo>; timeoutMs?: number; attempt?: number; signal?: AbortSignal; now?: () => number } = {}): MockOperatorContext {
  const now = overrides.now ?? Date.now;
  const children: ChildItem[] = [];
  const logs: MockOperatorContext['logs'] = [];
  const log = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    logs.push({ level, message, ...(attributes ? { attributes } : {}) });
  };
  const messageId = overrides.trigger?.messageId ?? 'm-test';
  return {
    signal: overrides.signal ?? new AbortController().signal,
    deadline: now() + (overrides.timeoutMs ?? 30_000),
    attempt: overrides.attempt ?? 0,
    trigger: {
      messageId,
      idempotencyKey: messageId,
      itemKey: 'item-test',
      dag: 'test-dag',
      node: 'test-node',
      tenant: 'default',
      priority: 'normal',
      source: {},
      traceId: '0'.repeat(32),
      ...overrides.trigger,
    },
    log: { info: log('info'), warn: log('warn'), error: log('error') },
    span: trace.getTracer('quarry-test').startSpan('mock'),
    emit(child) {
      children.push(child);
    },
    children,
    logs,
  };
}
