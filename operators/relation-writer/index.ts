/**
 * The relation-writer operators over the relation engine: `relation-page` (f + fo),
 * `relation-link` (o + oc; ends dead links as filtered `dead-link:<reason>` and already-known
 * contents as filtered `known-content`), `relation-content` (c features) and `relation-ocr`.
 * Each is batch-native: one miner batch is one engine write.
 *
 *   const { all } = createRelationWriterOperators({ engine });
 *   await serveOperators([...all], { port: 50061 });
 */
export { createRelationWriterOperators, type RelationWriterDeps } from './relation-writer.ts';
