// The demo site's pages: a home page, a gallery section, an article section, a section of odd
// and hostile corners, non-UTF-8 pages, and a short chain that runs past the crawl depth.
import { OCR_TEXTS, photoPath } from './catalog.ts';
import { addHostile, withLogo, type Draft } from './hostile-pages.ts';
import { esc, figure, img, join, layout, lazy, NAV_LINKS, picture, srcset, type Fragment } from './html.ts';
import type { Random } from './random.ts';
import type { Route } from './site-spec.ts';
import type { SiteVersion } from './site-spec.ts';

const GALLERY_PAGES = 12;
const ARTICLES = 8;


export function buildPages(rng: Random, slowMs: number, version: SiteVersion = 1): Map<string, Route> {
  const routes = new Map<string, Route>();
  const add = (d: Draft & { canonical?: string }): void => {
    const head = `${d.canonical ? `<link rel="canonical" href="${d.canonical}">` : ''}${d.head ?? ''}`;
    const html = layout({ title: d.title, body: d.body.html, ...(head ? { head } : {}) });
    routes.set(d.path, {
      kind: 'file', status: 200, contentType: 'text/html; charset=utf-8', body: Buffer.from(html), template: true,
      ...(d.gzip ? { gzip: true } : {}), ...(d.delayMs ? { delayMs: d.delayMs } : {}),
      page: { title: d.title, pageType: d.pageType, charset: 'utf-8', edges: withLogo(d.body.edges), links: unique([...NAV_LINKS, ...d.links]), ...(d.canonical ? { canonical: d.canonical } : {}) },
    });
  };

  add({
    path: '/', title: 'Quarry Demo — Home', pageType: 'home',
    body: join([
      { html: '<h1 id="top">Welcome to the Quarry demo</h1><p>A small site for crawling.</p>', edges: [] },
      srcset([['/img/hero-600.jpg', '600w'], ['/img/hero-1200.jpg', '1200w']], 'Hero banner', '/img/hero-1200.jpg'),
    ]),
    links: [],
  });

  // Gallery: each page shows three pool photos, each through a different markup style.
  const galleryLinks = Array.from({ length: GALLERY_PAGES }, (_, i) => `/gallery/${i + 1}.html`);
  const galleryIndex = {
    path: '/gallery/index.html', title: 'Gallery index', pageType: 'listing',
    body: join([
      { html: `<ul>${galleryLinks.map((l, i) => `<li><a href="${i % 2 ? l : l.slice('/gallery/'.length)}">Gallery page ${i + 1}</a></li>`).join('')}</ul>`, edges: [] },
      img(`../img/${photoPath(1).slice(5)}`, photoPath(1), 'Featured photo', 'This week’s featured photo.'),
    ]),
    links: galleryLinks,
  };
  // From version 3 the gallery index names /gallery/ as its canonical URL, which serves it too.
  add(version >= 3 ? { ...galleryIndex, canonical: '/gallery/' } : galleryIndex);
  if (version >= 3) add({ ...galleryIndex, path: '/gallery/', canonical: '/gallery/' });
  const styles = ['relative', 'absolute', 'protocol', 'origin', 'data-src', 'data-original', 'data-lazy-src', 'figure'] as const;
  for (let g = 1; g <= GALLERY_PAGES; g += 1) {
    const fragments: Fragment[] = [];
    const used = new Set<number>();
    for (let slot = 0; slot < 3; slot += 1) {
      let n = rng.int(1, 20);
      while (used.has(n)) n = (n % 20) + 1;
      used.add(n);
      const path = photoPath(n);
      const alt = `Photo ${n}, gallery ${g}`;
      const style = styles[(g + slot) % styles.length]!;
      const src = style === 'relative' ? `../img/${path.slice(5)}` : style === 'protocol' ? `//__HOST__${path}` : style === 'origin' ? `__ORIGIN__${path}` : path;
      if (style.startsWith('data-')) fragments.push(lazy(style, path, path, alt));
      else if (style === 'figure') fragments.push(figure(src, path, alt, `Figure ${g}.${slot}: scene number ${n}.`));
      else fragments.push(img(src, path, alt, `Scene ${n} as seen in gallery ${g}.`));
    }
    // Version 2 drops the retina photo from gallery page 2; version 3 brings it back.
    if (g === 2 && version !== 2) fragments.push(srcset([['/img/photo-21.png', '1x'], ['/img/photo-21@2x.png', '2x']], 'Retina photo', '/img/photo-21@2x.png'));
    if (g === 3) fragments.push(lazy('data-srcset', '/img/photo-22-480.webp 480w, /img/photo-22-960.webp 960w', '/img/photo-22-960.webp', 'Lazy srcset photo'));
    if (g === 4) {
      fragments.push(picture([{ srcset: '/img/pic-23.webp 1x, /img/pic-23@2x.webp 2x', type: 'image/webp', largest: '/img/pic-23@2x.webp' }], '/img/pic-23.jpg', 'Picture element'));
      fragments.push(img('/img/missing-1.png', '/img/missing-1.png', 'A photo that went missing', 'This one is gone.'));
    }
    if (g === 5) fragments.push(img('/img/mislabeled.jpg', '/img/mislabeled.jpg', 'Mislabelled photo', 'Served with the wrong type.'));
    // Inline and script URLs a crawler must skip.
    fragments.push({ html: `<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="inline"> <img src="javascript:alert(1)" alt="js"></p>`, edges: [] });
    const prev = g > 1 ? `<a href="${g - 1}.html">Previous</a>` : '';
    const next = g < GALLERY_PAGES ? `<a href="${g + 1}.html#photos">Next</a>` : '';
    fragments.push({ html: `<p>${prev} ${next}</p>`, edges: [] });
    add({
      path: `/gallery/${g}.html`, title: `Gallery page ${g}`, pageType: 'gallery', body: join(fragments),
      links: [g > 1 ? `/gallery/${g - 1}.html` : '', g < GALLERY_PAGES ? `/gallery/${g + 1}.html` : ''].filter(Boolean),
    });
  }

  // Articles: <article> with figures; same bytes under another URL; a near-duplicate; OCR text.
  const articleLinks = [...Array.from({ length: ARTICLES }, (_, i) => `/articles/a${i + 1}.html`), '/articles/signs.html', '/articles/base.html'];
  add({
    path: '/articles/index.html', title: 'Articles', pageType: 'page',
    body: { html: `<ol>${articleLinks.map((l) => `<li><a href="${l}">${l}</a></li>`).join('')}</ol>`, edges: [] },
    links: articleLinks,
  });
  for (let a = 1; a <= ARTICLES; a += 1) {
    const n = rng.int(1, 20);
    const fragments: Fragment[] = [figure(photoPath(n), photoPath(n), `Illustration for article ${a}`, `Article ${a} illustration: a study of shapes.`)];
    if (a === 2) fragments.push(img('/cdn/v2/photo-03.jpg', '/cdn/v2/photo-03.jpg', 'Photo 3 from the CDN', 'The same picture, from our CDN.'));
    if (a === 3) fragments.push(img('/img/photo-05-small.jpg', '/img/photo-05-small.jpg', 'Photo 5, small', 'A smaller copy of photo five.'));
    if (a === 3) fragments.push(img(photoPath(5), photoPath(5), 'Photo 5', 'Photo five at full size.'));
    if (a === 4) fragments.push(img('/r/chain-1.png', '/r/chain-1.png', 'Redirected photo', 'This image moved three times.'));
    if (a === 5) fragments.push(img(photoPath(3), photoPath(3), 'Photo 3', 'The original of photo three.'));
    const links = a === 1 ? ['/deep/1.html'] : [];
    if (a === 1) fragments.push({ html: '<p><a href="/deep/1.html">Read deeper</a></p>', edges: [] });
    const ogAlt = version >= 3 ? 'A study of shapes, in colour' : '';
    const og = a === 6 ? `\n<meta property="og:image" content="${photoPath(17)}">${ogAlt ? `<meta property="og:image:alt" content="${ogAlt}">` : ''}<meta name="twitter:image" content="__ORIGIN__${photoPath(17)}">` : '';
    if (a === 6) fragments.push({ html: '', edges: [{ imageUrl: photoPath(17), alt: ogAlt }] });
    // From version 2 article 7 is gone (the index still links it: a 404).
    if (a === 7 && version >= 2) {
      lorem(rng);
      continue;
    }
    add({
      path: `/articles/a${a}.html`, title: `Article ${a}: notes on shapes`, pageType: 'article', gzip: true,
      head: `<meta property="og:type" content="article">${og}`,
      body: { html: `<article><h1>Article ${a}</h1><p>${esc(lorem(rng))}</p>${join(fragments).html}</article>`, edges: join(fragments).edges },
      links,
    });
  }
  add({
    path: '/articles/signs.html', title: 'Signs with text', pageType: 'article',
    body: join([{ html: '<article><h1>Signs</h1>', edges: [] }, ...OCR_TEXTS.map((t) => figure(t.path, t.path, `Sign: ${t.text}`, `A sign reading ${t.text}.`)), { html: '</article>', edges: [] }]),
    links: [],
  });
  add({
    path: '/articles/base.html', title: 'A page with a base href', pageType: 'page',
    head: '<base href="/assets/shared/">',
    body: img('banner.png', '/assets/shared/banner.png', 'Shared banner', 'Resolved against the base URL.'),
    links: [],
  });

  // A page that only exists behind a redirect, and a chain past the crawl depth.
  routes.set('/old/about.html', { kind: 'redirect', status: 301, location: '/about.html' });
  const about = { title: 'About the demo', pageType: 'page', body: { html: '<p>Made for Quarry.</p>', edges: [] }, links: [] };
  // From version 2 /about.html has moved to /about/index.html (and redirects there).
  if (version >= 2) {
    routes.set('/about.html', { kind: 'redirect', status: 301, location: '/about/index.html' });
    add({ ...about, path: '/about/index.html', body: img(photoPath(11), photoPath(11), 'Our team', 'The people behind the demo.') });
  } else add({ ...about, path: '/about.html' });
  for (let d = 1; d <= 3; d += 1) {
    add({
      path: `/deep/${d}.html`, title: `Deep page ${d}`, pageType: 'page',
      // Version 2 changes deep page 2 while deep page 1, its parent, stays byte for byte the same.
      body: join([img(deepPhoto(d, version), deepPhoto(d, version), `Deep photo ${d}`, `Depth marker ${d}.`), { html: d < 3 ? `<p><a href="/deep/${d + 1}.html">Deeper</a></p>` : '', edges: [] }]),
      links: d < 3 ? [`/deep/${d + 1}.html`] : [],
    });
  }

  addHostile(routes, add, slowMs);
  return routes;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

const WORDS = ['shape', 'colour', 'light', 'circle', 'line', 'angle', 'pattern', 'texture', 'form', 'space', 'balance', 'contrast'];
function lorem(rng: Random): string {
  return Array.from({ length: 40 }, () => rng.pick(WORDS)).join(' ') + '.';
}

function deepPhoto(d: number, version: SiteVersion): string {
  return photoPath(d === 2 && version >= 2 ? 16 : 18 + (d % 3));
}
