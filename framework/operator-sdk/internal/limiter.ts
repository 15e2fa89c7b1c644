// One concurrency limit per operator definition, shared by every call in the process: a service
// with several calls in flight never runs more handlers of an operator than it declared.
import type { OperatorDefinition } from '../define-operator.ts';

export type Limit = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimit(concurrency: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finished task hands its slot straight to the next waiter, so no newcomer can slip in between.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < concurrency) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}

const limits = new WeakMap<OperatorDefinition, Limit>();

export function limiterFor(def: OperatorDefinition): Limit {
  let limit = limits.get(def);
  if (!limit) limits.set(def, (limit = createLimit(def.concurrency)));
  return limit;
}
