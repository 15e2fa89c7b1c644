// The odd and hostile corners of the demo site: broken links, fake images, size and pixel
// limits, redirect trouble, SSRF bait, a slow page, and GBK / ISO-8859-1 pages.
import { photoPath } from './catalog.ts';
import { encodeGbk } from './gbk.ts';
import { img, join, layout, LOGO, NAV_LINKS, type Fragment } from './html.ts';
import type { Route } from './site-spec.ts';

export interface Draft {
  path: string;
  title: string;
  pageType: string;
  body: Fragment;
  links: string[];
  head?: string;
  gzip?: boolean;
  delayMs?: number;
}

export function addHostile(routes: Map<string, Route>, add: (d: Draft) => void, slowMs: number): void {
  const pages = ['/hostile/broken.html', '/hostile/fakes.html', '/hostile/limits.html', '/hostile/redirects.html', '/hostile/ssrf.html', '/hostile/slow.html', '/intl/gbk.html', '/intl/latin1.html', '/private/secret.html'];
  add({ path: '/hostile/index.html', title: 'Odd corners', pageType: 'page', body: { html: `<ul>${pages.map((p) => `<li><a href="${p}">${p}</a></li>`).join('')}</ul>`, edges: [] }, links: pages });
  add({
    path: '/hostile/broken.html', title: 'Broken things', pageType: 'page',
    body: join([img('/img/missing-1.png', '/img/missing-1.png', 'Missing photo', 'Gone.'), img('/img/missing-2.jpg', '/img/missing-2.jpg', 'Another missing photo', 'Also gone.'), { html: '<p><a href="/missing-page.html">A dead page</a> <a href="/files/brochure.pdf">Brochure (PDF)</a></p>', edges: [] }]),
    links: ['/missing-page.html', '/files/brochure.pdf'],
  });
  routes.set('/files/brochure.pdf', { kind: 'file', status: 200, contentType: 'application/pdf', body: Buffer.from('%PDF-1.4\n% demo\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n') });
  add({
    path: '/hostile/fakes.html', title: 'Not what they seem', pageType: 'page',
    body: join([img('/img/fake-photo.jpg', '/img/fake-photo.jpg', 'HTML behind an image URL', 'Actually a page.'), img('/img/fake-2.png', '/img/fake-2.png', 'HTML claiming to be PNG', 'Lies about its type.')]),
    links: [],
  });
  add({
    path: '/hostile/limits.html', title: 'Limits', pageType: 'page',
    body: join([
      img('/img/huge.png', '/img/huge.png', 'An oversized image', 'Too many bytes.'),
      img('/img/bomb.png', '/img/bomb.png', 'A decompression bomb', 'Too many pixels.'),
      img('/img/truncated.jpg', '/img/truncated.jpg', 'A truncated JPEG', 'Cut short.'),
    ]),
    links: [],
  });
  add({
    path: '/hostile/redirects.html', title: 'Redirects', pageType: 'page',
    body: join([
      img('/r/loop-a.jpg', '/r/loop-a.jpg', 'Redirect loop', 'Round and round.'),
      img('/r/hop-0.png', '/r/hop-0.png', 'Too many hops', 'Eight hops away.'),
      { html: '<p><a href="/r/page-loop-a.html">A page that loops</a></p>', edges: [] },
    ]),
    links: ['/r/page-loop-a.html'],
  });
  routes.set('/r/page-loop-a.html', { kind: 'redirect', status: 302, location: '/r/page-loop-b.html' });
  routes.set('/r/page-loop-b.html', { kind: 'redirect', status: 302, location: '/r/page-loop-a.html' });
  add({
    path: '/hostile/ssrf.html', title: 'Internal addresses', pageType: 'page',
    body: join([
      img('http://169.254.169.254/latest/meta-data/iam.png', 'http://169.254.169.254/latest/meta-data/iam.png', 'Cloud metadata', 'Must never be fetched.'),
      img('http://10.20.30.40/internal/diagram.png', 'http://10.20.30.40/internal/diagram.png', 'Intranet diagram', 'Private network.'),
      { html: '<p><a href="http://10.20.30.40/admin/">Intranet admin</a></p>', edges: [] },
    ]),
    links: [],
  });
  // robots.txt disallows /private/: a polite crawler never requests this page.
  add({ path: '/private/secret.html', title: 'Private', pageType: 'page', body: img('/img/logo.png', '/img/logo.png', 'Quarry demo logo', 'Not for crawlers.'), links: [] });
  add({ path: '/hostile/slow.html', title: 'A slow page', pageType: 'page', delayMs: slowMs, body: img('/img/slow-photo.jpg', '/img/slow-photo.jpg', 'A slow photo', 'Takes its time.'), links: [] });

  const gbkTitle = '演示页面：中文编码';
  const gbkBody = `<p>这是一个使用 GBK 编码的页面。</p><p><img src="${photoPath(8)}" alt="红色的花"></p>`;
  routes.set('/intl/gbk.html', {
    kind: 'file', status: 200, contentType: 'text/html', body: encodeGbk(layout({ title: gbkTitle, body: gbkBody, lang: 'zh-CN', metaCharset: 'gbk' })),
    page: { title: gbkTitle, pageType: 'page', charset: 'gbk', edges: withLogo([{ imageUrl: photoPath(8), alt: '红色的花' }]), links: NAV_LINKS },
  });
  const latinTitle = 'Café crème brûlée - Latin-1';
  const latinBody = `<p>Une page encodée en ISO-8859-1.</p><p><img src="${photoPath(9)}" alt="Crème brûlée à la française"></p>`;
  routes.set('/intl/latin1.html', {
    kind: 'file', status: 200, contentType: 'text/html; charset=iso-8859-1', body: Buffer.from(layout({ title: latinTitle, body: latinBody, lang: 'fr', metaCharset: null }), 'latin1'),
    page: { title: latinTitle, pageType: 'page', charset: 'windows-1252', edges: withLogo([{ imageUrl: photoPath(9), alt: 'Crème brûlée à la française' }]), links: NAV_LINKS },
  });
}

export function withLogo(edges: PageEdge[]): PageEdge[] {
  const seen = new Set<string>();
  return [LOGO, ...edges].filter((e) => !seen.has(e.imageUrl) && seen.add(e.imageUrl));
}
type PageEdge = Fragment['edges'][number];

