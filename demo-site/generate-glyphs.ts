// Writes demo-site/internal/glyphs.json: the outlines (SVG path data) of every character the demo
// site's text images show, taken once from DejaVu Sans and WenQuanYi Zen Hei, so the images render
// from data in the repo and read the same on a machine without those fonts (or without any font).
// Run it only when the texts change, on a machine with both fonts and fontkit:
//   apt-get install fonts-dejavu-core fonts-wqy-zenhei && npm install --no-save fontkit && npx tsx demo-site/generate-glyphs.ts
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OCR_TEXTS } from './internal/catalog.ts';

interface FontkitGlyph { advanceWidth: number; path: { toSVG(): string } }
interface FontkitFont { unitsPerEm: number; ascent: number; descent: number; glyphForCodePoint(cp: number): FontkitGlyph; fonts?: FontkitFont[] }
const fontkit = createRequire(import.meta.url)('fontkit') as { openSync(path: string, postscriptName?: string): FontkitFont };

const FONTS: Record<string, string> = {
  'DejaVu Sans': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  'WenQuanYi Zen Hei': '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
};

const out: Record<string, { unitsPerEm: number; ascent: number; descent: number; glyphs: Record<string, { a: number; d: string }> }> = {};
for (const t of OCR_TEXTS) {
  const opened = fontkit.openSync(FONTS[t.font]!);
  const font = opened.fonts ? opened.fonts[0]! : opened;
  const entry = (out[t.font] ??= { unitsPerEm: font.unitsPerEm, ascent: font.ascent, descent: font.descent, glyphs: {} });
  for (const ch of t.text) {
    if (entry.glyphs[ch]) continue;
    const g = font.glyphForCodePoint(ch.codePointAt(0)!);
    entry.glyphs[ch] = { a: g.advanceWidth, d: g.path.toSVG() };
  }
}
const file = fileURLToPath(new URL('./internal/glyphs.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(out)}\n`);
console.log(`wrote ${file}: ${Object.entries(out).map(([f, e]) => `${f} ${Object.keys(e.glyphs).length} glyphs`).join(', ')}`);
