// The CQL of the Cassandra store, one prepared statement each.
const PAGE_V = 'v_title, v_page_type, v_content_hash, v_final_url, v_version, v_crawled_at, v_deleted';
const LINK_V = 'v_alive, v_reason, v_version, v_crawled_at';
const C_V = 'width, height, format, clarity, phash, dominant_color, ocr_text, ocr_lines, thumbnail_ref';

export function Q(ks: string) {
  return {
    readPage: `SELECT link, f_version, alt, title, context, ${PAGE_V} FROM ${ks}.pages WHERE page = ?`,
    readPageVertex: `SELECT ${PAGE_V} FROM ${ks}.pages WHERE page = ? LIMIT 1`,
    readLink: `SELECT kind, ref, version, crawled_at, alt, title, context, ${LINK_V} FROM ${ks}.links WHERE link = ?`,
    readLinkVertex: `SELECT ${LINK_V} FROM ${ks}.links WHERE link = ? LIMIT 1`,
    readContent: `SELECT link, o_version, crawled_at, ${C_V} FROM ${ks}.contents WHERE bucket = ? AND sign = ?`,
    readContentVertex: `SELECT ${C_V} FROM ${ks}.contents WHERE bucket = ? AND sign = ? AND link = ''`,
    writePageVertex: `INSERT INTO ${ks}.pages (page, ${PAGE_V}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    writeLinkVertex: `INSERT INTO ${ks}.links (link, ${LINK_V}) VALUES (?, ?, ?, ?, ?)`,
    mergeContent: `INSERT INTO ${ks}.contents (bucket, sign, link, ${C_V}) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    writeFo: `INSERT INTO ${ks}.pages (page, link, f_version, alt, title, context) VALUES (?, ?, ?, ?, ?, ?)`,
    writeOf: `INSERT INTO ${ks}.links (link, kind, ref, version, alt, title, context) VALUES (?, 'f', ?, ?, ?, ?, ?)`,
    writeOc: `INSERT INTO ${ks}.links (link, kind, ref, version, crawled_at) VALUES (?, 'c', ?, ?, ?)`,
    writeCo: `INSERT INTO ${ks}.contents (bucket, sign, link, o_version, crawled_at) VALUES (?, ?, ?, ?, ?)`,
    scanBucket: `SELECT sign, link, o_version, crawled_at, ${C_V} FROM ${ks}.contents WHERE bucket = ?`,
    scanFo: `SELECT page, link, f_version, writetime(f_version) AS wt FROM ${ks}.pages`,
    scanLinkEdges: `SELECT link, kind, ref, version, writetime(version) AS wt FROM ${ks}.links`,
    scanCo: `SELECT sign, link, o_version, writetime(o_version) AS wt FROM ${ks}.contents`,
    scanPageVertices: `SELECT DISTINCT page, ${PAGE_V} FROM ${ks}.pages`,
    scanLinkVertices: `SELECT DISTINCT link, ${LINK_V} FROM ${ks}.links`,
    deleteFo: `DELETE FROM ${ks}.pages USING TIMESTAMP ? WHERE page = ? AND link = ?`,
    deleteLinkRow: `DELETE FROM ${ks}.links USING TIMESTAMP ? WHERE link = ? AND kind = ? AND ref = ?`,
    deleteCo: `DELETE FROM ${ks}.contents USING TIMESTAMP ? WHERE bucket = ? AND sign = ? AND link = ?`,
  };
}
