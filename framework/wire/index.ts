/**
 * The wire contract (proto/quarry.proto) as TypeScript: encode/decode of triggers, echo calls
 * and dead letters; the operator service; the channel's TLS and bearer token (both ends).
 *
 *   const bytes = encodeTrigger(trigger);   // ~300 bytes for a typical item
 *   const back = decodeTrigger(bytes);      // throws QuarryError('BAD_TRIGGER') on garbage
 */
export * from './codec.ts';
export * from './operator-service.ts';
export * from './channel-credentials.ts';
