// URL helpers for extraction: resolve against the page/base URL, keep http(s) only, drop
// fragments; parse `srcset` the way browsers do and pick its largest candidate.

export function resolveHttpUrl(raw: string | undefined, base: string): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed === '' || /^(data|javascript|blob|about|mailto|tel):/i.test(trimmed)) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.hash = '';
  return url.href;
}

export interface SrcsetCandidate {
  url: string;
  width?: number;
  density?: number;
}

/** Parses a srcset attribute (commas may appear inside URLs; descriptors follow whitespace). */
export function parseSrcset(value: string): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  const s = value;
  let i = 0;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  while (i < s.length) {
    while (i < s.length && (isSpace(s[i]) || s[i] === ',')) i += 1;
    if (i >= s.length) break;
    const start = i;
    while (i < s.length && !isSpace(s[i])) i += 1;
    let url = s.slice(start, i);
    let descriptor = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      let depth = 0;
      while (i < s.length && (s[i] !== ',' || depth > 0)) {
        if (s[i] === '(') depth += 1;
        else if (s[i] === ')') depth = Math.max(0, depth - 1);
        descriptor += s[i];
        i += 1;
      }
      i += 1;
    }
    if (url === '') continue;
    const candidate: SrcsetCandidate = { url };
    for (const token of descriptor.trim().split(/\s+/)) {
      const w = /^(\d+)w$/i.exec(token);
      const x = /^(\d*\.?\d+)x$/i.exec(token);
      if (w) candidate.width = Number(w[1]);
      else if (x) candidate.density = Number(x[1]);
    }
    out.push(candidate);
  }
  return out;
}

/** The candidate a high-resolution client would download: largest width, else largest density. */
export function largestCandidate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const candidates = parseSrcset(value);
  if (candidates.length === 0) return undefined;
  const byWidth = candidates.filter((c) => c.width !== undefined);
  if (byWidth.length > 0) return byWidth.reduce((a, b) => (b.width! > a.width! ? b : a)).url;
  return candidates.reduce((a, b) => ((b.density ?? 1) > (a.density ?? 1) ? b : a)).url;
}
