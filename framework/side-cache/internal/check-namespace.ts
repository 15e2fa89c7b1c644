import { ConfigError } from '../../errors/index.ts';

export function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace.length === 0 || /[{}]/.test(namespace)) {
    throw new ConfigError([{ field: 'namespace', expected: 'a non-empty string without braces', received: namespace }], 'Redis adapter options');
  }
  return namespace;
}
