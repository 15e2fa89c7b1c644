// The CQL of the Cassandra store, each one prepared once by the driver. Versioned rows (vertices
// and edges) are written at timestamp version × 1000, so "delete the copy at version v" is a
// delete at v × 1000 + 999: it removes that write and any older, never a rewrite at a later version.
const PAGE_V = 'v_title, v_page_type, v_content_hash, v_final_url, v_version, v_crawled_at, v_deleted, v_alias_of, v_aliases';
const LINK_V = 'v_alive, v_reason, v_version, v_crawled_at';
const C_V = 'width, height, format, clarity, phash, dominant_color, ocr_text, ocr_lines, thumbnail_ref';

/** The column that records a content milestone as counted. */
const COUNTED = { contents: 'counted_vertex', contentsWithFeatures: 'counted_features', contentsWithOcr: 'counted_ocr' } as const;
const claim = (ks: string, col: string) => `UPDATE ${ks}.contents SET ${col} = true WHERE bucket = ? AND sign = ? AND link = '' IF ${col} = null`;

export function Q(ks: string) {
  return {
    claim: {
      contents: claim(ks, COUNTED.contents),
      contentsWithFeatures: claim(ks, COUNTED.contentsWithFeatures),
      contentsWithOcr: claim(ks, COUNTED.contentsWithOcr),
    },
    readPage: `SELECT page, link, f_version, alt, title, context, ${PAGE_V} FROM ${ks}.pages WHERE page = ?`,
    readPagesIn: `SELECT page, link, f_version, alt, title, context, ${PAGE_V} FROM ${ks}.pages WHERE page IN ?`,
    readPageVertex: `SELECT ${PAGE_V} FROM ${ks}.pages WHERE page = ? LIMIT 1`,
    readPageVerticesIn: `SELECT page, ${PAGE_V} FROM ${ks}.pages WHERE page IN ? PER PARTITION LIMIT 1`,
    readLink: `SELECT link, kind, ref, version, crawled_at, alt, title, context, ${LINK_V} FROM ${ks}.links WHERE link = ?`,
    readLinksIn: `SELECT link, kind, ref, version, crawled_at, alt, title, context, ${LINK_V} FROM ${ks}.links WHERE link IN ?`,
    readLinkVertex: `SELECT ${LINK_V} FROM ${ks}.links WHERE link = ? LIMIT 1`,
    readContent: `SELECT link, o_version, crawled_at, ${C_V} FROM ${ks}.contents WHERE bucket = ? AND sign = ?`,
    readContentVertex: `SELECT ${C_V} FROM ${ks}.contents WHERE bucket = ? AND sign = ? AND link = ''`,
    readContentVerticesIn: `SELECT sign, ${C_V} FROM ${ks}.contents WHERE bucket = ? AND sign IN ? AND link = ''`,
    writePageVertex: `INSERT INTO ${ks}.pages (page, ${PAGE_V}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    writeLinkVertex: `INSERT INTO ${ks}.links (link, ${LINK_V}) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    mergeContent: `INSERT INTO ${ks}.contents (bucket, sign, link, ${C_V}) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    writeFo: `INSERT INTO ${ks}.pages (page, link, f_version, alt, title, context) VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    writeOf: `INSERT INTO ${ks}.links (link, kind, ref, version, alt, title, context) VALUES (?, 'f', ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    writeOc: `INSERT INTO ${ks}.links (link, kind, ref, version, crawled_at) VALUES (?, 'c', ?, ?, ?) USING TIMESTAMP ?`,
    writeCo: `INSERT INTO ${ks}.contents (bucket, sign, link, o_version, crawled_at) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
    deleteFo: `DELETE FROM ${ks}.pages USING TIMESTAMP ? WHERE page = ? AND link = ?`,
    deleteLinkRow: `DELETE FROM ${ks}.links USING TIMESTAMP ? WHERE link = ? AND kind = ? AND ref = ?`,
    deleteCo: `DELETE FROM ${ks}.contents USING TIMESTAMP ? WHERE bucket = ? AND sign = ? AND link = ?`,
    deleteLinkVertex: `DELETE ${LINK_V} FROM ${ks}.links USING TIMESTAMP ? WHERE link = ?`,
    deleteContent: `DELETE FROM ${ks}.contents WHERE bucket = ? AND sign = ?`,
    scanBucket: `SELECT sign, link, o_version, crawled_at, ${C_V} FROM ${ks}.contents WHERE bucket = ?`,
    // Full-table scans, one token range each (read in parallel: see token-ranges.ts).
    scanFo: `SELECT page, link, f_version FROM ${ks}.pages WHERE token(page) >= ? AND token(page) <= ?`,
    scanLinkEdges: `SELECT link, kind, ref, version FROM ${ks}.links WHERE token(link) >= ? AND token(link) <= ?`,
    scanCo: `SELECT sign, link, o_version FROM ${ks}.contents WHERE token(bucket) >= ? AND token(bucket) <= ?`,
    scanPageVertices: `SELECT DISTINCT page, ${PAGE_V} FROM ${ks}.pages WHERE token(page) >= ? AND token(page) <= ?`,
    scanLinkVertices: `SELECT DISTINCT link, ${LINK_V} FROM ${ks}.links WHERE token(link) >= ? AND token(link) <= ?`,
    writeChurn: `INSERT INTO ${ks}.churn (shard, slot, recorded_at, kind, id, version, prev_version, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    readChurn: `SELECT recorded_at, kind, id, version, prev_version, stale FROM ${ks}.churn WHERE shard = ? AND slot = ? AND recorded_at < ? LIMIT ?`,
    deleteChurn: `DELETE FROM ${ks}.churn WHERE shard = ? AND slot = ? AND recorded_at = ? AND kind = ? AND id = ? AND version = ?`,
    readSlots: `SELECT slot FROM ${ks}.slots WHERE queue = ? AND shard = ? AND slot <= ?`,
    writeSlot: `INSERT INTO ${ks}.slots (queue, shard, slot) VALUES (?, ?, ?)`,
    dropSlot: `DELETE FROM ${ks}.slots USING TIMESTAMP ? WHERE queue = ? AND shard = ? AND slot = ?`,
    addCount: `UPDATE ${ks}.counts SET value = value + ? WHERE shard = ? AND name = ?`,
    readCounts: `SELECT name, value FROM ${ks}.counts`,
    writeVisit: `INSERT INTO ${ks}.visits (kind, url, state) VALUES (?, ?, ?)`,
    readVisit: `SELECT state FROM ${ks}.visits WHERE kind = ? AND url = ?`,
    deleteVisit: `DELETE FROM ${ks}.visits WHERE kind = ? AND url = ?`,
    writeDue: `INSERT INTO ${ks}.due (shard, slot, due_at, kind, url) VALUES (?, ?, ?, ?, ?)`,
    readDue: `SELECT due_at, kind, url FROM ${ks}.due WHERE shard = ? AND slot = ? AND due_at < ? LIMIT ?`,
    deleteDue: `DELETE FROM ${ks}.due WHERE shard = ? AND slot = ? AND due_at = ? AND kind = ? AND url = ?`,
    writeBlobRef: `INSERT INTO ${ks}.blob_refs (blob, sign, tenant) VALUES (?, ?, ?)`,
    readBlobRefs: `SELECT sign, tenant FROM ${ks}.blob_refs WHERE blob = ?`,
    deleteBlobRef: `DELETE FROM ${ks}.blob_refs WHERE blob = ? AND sign = ? AND tenant = ?`,
    writeOrphan: `INSERT INTO ${ks}.blob_orphans (shard, blob, since) VALUES (?, ?, ?)`,
    readOrphans: `SELECT blob, since FROM ${ks}.blob_orphans WHERE shard = ?`,
    deleteOrphan: `DELETE FROM ${ks}.blob_orphans WHERE shard = ? AND blob = ?`,
  };
}

export type Queries = ReturnType<typeof Q>;
