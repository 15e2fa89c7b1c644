// Which URL keys a page: its <link rel=canonical> when that stays on the same site (host and
// port) as the page that declared it, else the URL it finally answered under. The other URLs
// it was reached under become its aliases.
export function canonicalOf(url: string, finalUrl: string | undefined, canonicalUrl: string | undefined): { url: string; aliases: string[] } {
  const landed = finalUrl ?? url;
  let canonical = landed;
  if (canonicalUrl !== undefined) {
    try {
      const c = new URL(canonicalUrl, landed);
      c.hash = '';
      if (c.host === new URL(landed).host && (c.protocol === 'http:' || c.protocol === 'https:')) canonical = c.href;
    } catch {
      // A canonical link that is not a URL is ignored, as browsers and search engines do.
    }
  }
  return { url: canonical, aliases: [...new Set([url, landed])].filter((u) => u !== canonical) };
}
