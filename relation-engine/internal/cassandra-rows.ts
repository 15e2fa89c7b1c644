// Row → model conversions for the Cassandra store (bigint arrives as a driver Long).
import type { types as T } from 'cassandra-driver';
import type { ContentVertex, FoEdge, LinkVertex, OcEdge, PageVertex } from '../model.ts';

const isLong = (v: unknown): v is T.Long => typeof (v as { toNumber?: unknown } | null)?.toNumber === 'function';
/** A number, a driver Long (bigint) without the decimal string round trip (it was 5% of a scan), or a decimal. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : isLong(v) ? v.toNumber() : Number(String(v)));
const str = (v: unknown): string => (v == null ? '' : String(v));

export function toPageVertex(url: string, r: T.Row): PageVertex | undefined {
  if (r['v_version'] == null) return undefined;
  return {
    url, title: str(r['v_title']), pageType: str(r['v_page_type']), contentHash: str(r['v_content_hash']),
    ...(r['v_final_url'] != null ? { finalUrl: String(r['v_final_url']) } : {}),
    version: num(r['v_version']), crawledAtMs: num(r['v_crawled_at']), deleted: r['v_deleted'] === true,
    ...(r['v_alias_of'] != null ? { aliasOf: String(r['v_alias_of']) } : {}),
    ...(r['v_aliases'] != null ? { aliases: JSON.parse(String(r['v_aliases'])) as string[] } : {}),
  };
}

export function toLinkVertex(url: string, r: T.Row): LinkVertex | undefined {
  if (r['v_version'] == null) return undefined;
  return {
    url, alive: r['v_alive'] === true, ...(r['v_reason'] != null ? { reason: String(r['v_reason']) } : {}),
    version: num(r['v_version']), crawledAtMs: num(r['v_crawled_at']),
  };
}

export function toFo(page: string, link: string, version: unknown, r: T.Row): FoEdge {
  return { page, link, alt: str(r['alt']), title: str(r['title']), context: str(r['context']), fVersion: num(version) };
}

export function toOc(link: string, sign: string, version: unknown, r: T.Row): OcEdge {
  return { link, sign, crawledAtMs: num(r['crawled_at']), oVersion: num(version) };
}

export function toContent(sign: string, r: T.Row): ContentVertex {
  const v: ContentVertex = { sign };
  if (r['width'] != null) {
    v.features = {
      width: num(r['width']), height: num(r['height']), format: str(r['format']),
      clarity: num(r['clarity']), phash: str(r['phash']), dominantColor: str(r['dominant_color']),
    };
  }
  if (r['ocr_text'] != null) v.ocrText = String(r['ocr_text']);
  if (r['ocr_lines'] != null) v.ocrLines = JSON.parse(String(r['ocr_lines'])) as ContentVertex['ocrLines'];
  if (r['thumbnail_ref'] != null) v.thumbnailRef = String(r['thumbnail_ref']);
  return v;
}
