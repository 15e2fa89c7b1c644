import { QuarryError, describeValue } from '../../errors/index.ts';

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new QuarryError('BLOB_BAD_INPUT', `Expected \`key\` to be a non-empty string, got ${describeValue(key)}`);
  }
}

/** The key inside `ref`, or a clear error when the ref was handed out by another kind of store. */
export function keyOfRef(ref: unknown, prefix: string, store: string): string {
  if (typeof ref !== 'string' || !ref.startsWith(prefix) || ref.length === prefix.length) {
    throw new QuarryError(
      'BLOB_FOREIGN_REF',
      `Blob ref ${describeValue(ref)} does not belong to this ${store} (its refs start with \`${prefix}\`)`,
    );
  }
  return ref.slice(prefix.length);
}

export function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new QuarryError('BLOB_BAD_INPUT', `Expected \`bytes\` to be a Uint8Array, got ${describeValue(bytes)}`);
  }
}

export function copyBytes(bytes: Uint8Array): Uint8Array {
  checkBytes(bytes);
  return Uint8Array.from(bytes);
}

export function checkIdleMs(idleMs: unknown): asserts idleMs is number {
  if (typeof idleMs !== 'number' || !Number.isFinite(idleMs) || idleMs < 0) {
    throw new QuarryError('BLOB_BAD_INPUT', `Expected \`idleMs\` to be a finite number ≥ 0, got ${describeValue(idleMs)}`);
  }
}
