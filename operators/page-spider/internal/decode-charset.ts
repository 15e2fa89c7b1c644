// Charset detection in the order browsers use: byte-order mark, then the Content-Type header,
// then a <meta charset> / http-equiv prescan of the first bytes, then UTF-8. Decoding goes
// through TextDecoder (full ICU here), so labels like gbk, shift_jis, iso-8859-1 all work.

const PRESCAN_BYTES = 4096;

export interface DecodedPage {
  /** The WHATWG encoding name actually used, e.g. `utf-8`, `gbk`, `windows-1252`. */
  charset: string;
  text: string;
}

export function decodePage(body: Uint8Array, contentType: string | undefined): DecodedPage {
  const encoding = bomEncoding(body) ?? usable(charsetParam(contentType)) ?? usable(metaCharset(body)) ?? 'utf-8';
  const decoder = new TextDecoder(encoding);
  return { charset: decoder.encoding, text: decoder.decode(body) };
}

function bomEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  return undefined;
}

export function charsetParam(contentType: string | undefined): string | undefined {
  const m = contentType === undefined ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m?.[1];
}

function metaCharset(body: Uint8Array): string | undefined {
  // Latin-1 maps bytes 1:1 to code points, so ASCII markup reads correctly whatever the charset.
  const head = new TextDecoder('latin1').decode(body.subarray(0, PRESCAN_BYTES));
  for (const tag of head.matchAll(/<meta\b[^>]*>/gi)) {
    const text = tag[0];
    const direct = /\bcharset\s*=\s*["']?\s*([^"'\s/>;]+)/i.exec(text);
    if (direct && !/http-equiv/i.test(text)) return direct[1];
    if (/http-equiv\s*=\s*["']?content-type/i.test(text)) {
      const content = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(text);
      const found = charsetParam(content?.[1] ?? content?.[2] ?? content?.[3]);
      if (found) return found;
    }
  }
  return undefined;
}

/** A label TextDecoder knows, or undefined. A page declaring UTF-16 in ASCII markup is not UTF-16. */
function usable(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  try {
    const name = new TextDecoder(label.trim().toLowerCase()).encoding;
    return name.startsWith('utf-16') ? 'utf-8' : name;
  } catch {
    return undefined;
  }
}
