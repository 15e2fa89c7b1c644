import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { createImageExtractOperator, largestCandidate, parseSrcset } from './index.ts';

const PAGE = 'https://site.test/dir/page.html';
const enc = (html: string): Uint8Array => new TextEncoder().encode(html);

async function extract(html: string, source: Record<string, string> = { url: PAGE, depth: '0', maxDepth: '2' }, options = {}) {
  const op = createImageExtractOperator(options);
  const ctx = mockOperatorContext({ trigger: { source } });
  const out = await op.handler({ finalUrl: PAGE, html: enc(html) }, ctx);
  return { ...out, children: ctx.children };
}

const FIXTURE = `<!doctype html><html><head>
<title>Fixture</title>
<meta property="og:image" content="/og/cover.jpg">
<meta name="twitter:image" content="https://site.test/og/cover.jpg#frag">
<meta name="twitter:image:src" content="https://cdn.test/tw.png">
<link rel="image_src" href="thumb.png">
</head><body>
<p>Intro sentence about a cat. <img src="cat.jpg" alt="A cat" title="Kitty"></p>
<p><img src="/abs/dog.png" alt="A dog"></p>
<p><img src="//cdn.test/proto.gif" alt="Protocol relative"></p>
<p><img src="https://other.test/full.webp" alt="Absolute"></p>
<p><img src="small.jpg" srcset="small.jpg 400w, large.jpg 1600w, medium.jpg 800w" alt="Widths"></p>
<p><img src="one.png" srcset="one.png, two.png 2x, onehalf.png 1.5x" alt="Densities"></p>
<p><img src="data:image/gif;base64,R0lGOD" data-src="lazy1.jpg" alt="Lazy data-src"></p>
<p><img src="placeholder.gif" data-original="lazy2.jpg" alt="Lazy data-original"></p>
<p><img data-lazy-src="lazy3.jpg" alt="Lazy data-lazy-src"></p>
<p><img src="data:," data-srcset="lz-a.jpg 300w, lz-b.jpg 900w" alt="Lazy srcset"></p>
<picture><source type="image/avif" srcset="pic.avif 1x, pic@2x.avif 2x"><source srcset="pic.webp"><img src="pic.jpg" alt="Picture"></picture>
<figure><img src="fig.png" alt="Figure image"><figcaption>  A   caption
 for the figure. </figcaption></figure>
<p><img src="cat.jpg" alt="Duplicate cat"></p>
<p><img src="javascript:alert(1)" alt="js"> <img src="data:image/png;base64,AAAA" alt="inline"> <img src="" alt="empty"> <img alt="no src"></p>
<p><img src="https://cdn.test/x,y/img.jpg" srcset="https://cdn.test/w_200,h_100/a.jpg 200w, https://cdn.test/w_800,h_400/a.jpg 800w" alt="Commas"></p>
<div>${'word '.repeat(200)}<img src="long.jpg" alt="Long context"></div>
<a href="next.html">next</a> <a href="/dir/page.html#top">self</a> <a href="next.html#again">next again</a>
<a href="https://site.test/other">same host</a> <a href="https://other.test/x">other host</a>
<a href="//site.test/proto-link">proto link</a> <a href="mailto:x@y">mail</a> <a href="javascript:void(0)">js</a>
<a href="https://site.test:8443/port">other port</a> <map><area href="/area-link" alt=""></map>
</body></html>`;

describe('image-extract on a fixture covering every case', () => {
  it('finds, resolves, picks and dedupes images in document order', async () => {
    const { images } = await extract(FIXTURE);
    assert.deepEqual(images.map((i) => i.url), [
      'https://site.test/og/cover.jpg',
      'https://cdn.test/tw.png',
      'https://site.test/dir/thumb.png',
      'https://site.test/dir/cat.jpg',
      'https://site.test/abs/dog.png',
      'https://cdn.test/proto.gif',
      'https://other.test/full.webp',
      'https://site.test/dir/large.jpg',
      'https://site.test/dir/two.png',
      'https://site.test/dir/lazy1.jpg',
      'https://site.test/dir/lazy2.jpg',
      'https://site.test/dir/lazy3.jpg',
      'https://site.test/dir/lz-b.jpg',
      'https://site.test/dir/pic@2x.avif',
      'https://site.test/dir/pic.webp',
      'https://site.test/dir/pic.jpg',
      'https://site.test/dir/fig.png',
      'https://cdn.test/w_800,h_400/a.jpg',
      'https://site.test/dir/long.jpg',
    ]);
  });

  it('records alt, title and context', async () => {
    const { images } = await extract(FIXTURE);
    const by = (suffix: string) => images.find((i) => i.url.endsWith(suffix))!;
    assert.deepEqual(by('/cat.jpg'), { url: 'https://site.test/dir/cat.jpg', alt: 'A cat', title: 'Kitty', context: 'Intro sentence about a cat.' });
    assert.equal(by('fig.png').context, 'A caption for the figure.');
    assert.equal(by('pic.webp').alt, 'Picture');
    assert.equal(by('cover.jpg').alt, '');
    assert.ok(by('long.jpg').context.length <= 300, 'context is bounded');
    assert.ok(by('long.jpg').context.endsWith('…'));
  });

  it('keeps the first description when an image recurs, but fills an empty alt from a later one', async () => {
    const { images } = await extract(`<meta property="og:image" content="/a.jpg"><img src="/a.jpg" alt="Later alt"><img src="/a.jpg" alt="Third">`);
    assert.deepEqual(images.map((i) => [i.url, i.alt]), [['https://site.test/a.jpg', 'Later alt']]);
  });

  it('og:image:alt is the alt of the og:image before it; a canonical link is reported resolved', async () => {
    const { images, canonicalUrl } = await extract(`<head><link rel="canonical" href="/canon.html"><meta property="og:image" content="/og.jpg"><meta property="og:image:alt" content="A cover picture"><meta property="og:image" content="/og2.jpg"></head>`);
    assert.deepEqual(images.map((i) => [i.url, i.alt]), [['https://site.test/og.jpg', 'A cover picture'], ['https://site.test/og2.jpg', '']]);
    assert.equal(canonicalUrl, 'https://site.test/canon.html');
    assert.equal((await extract('<p>no canonical</p>')).canonicalUrl, undefined);
  });

  it('resolves against <base href>', async () => {
    const { images, pageLinks } = await extract(`<head><base href="https://site.test/assets/"></head><img src="x.png"><a href="doc.html">d</a>`);
    assert.deepEqual(images.map((i) => i.url), ['https://site.test/assets/x.png']);
    assert.deepEqual(pageLinks, ['https://site.test/assets/doc.html']);
  });

  it('lists same-site links only, without fragments, duplicates or the page itself', async () => {
    const { pageLinks } = await extract(FIXTURE);
    assert.deepEqual(pageLinks, ['https://site.test/dir/next.html', 'https://site.test/other', 'https://site.test/proto-link', 'https://site.test/area-link']);
  });

  it('emits an image child per image and page children with depth + 1 while depth < maxDepth', async () => {
    const { images, pageLinks, children } = await extract(FIXTURE, { url: PAGE, depth: '1', maxDepth: '2' });
    const imageKids = children.filter((c) => c.dag === 'image-ingest');
    const pageKids = children.filter((c) => c.dag === 'page-ingest');
    assert.equal(imageKids.length, images.length);
    assert.deepEqual(imageKids[0], { itemKey: images[0]!.url, dag: 'image-ingest', source: { url: images[0]!.url, pageUrl: PAGE } });
    assert.equal(pageKids.length, pageLinks.length);
    assert.deepEqual(pageKids[0]!.source, { url: pageLinks[0], depth: '2', maxDepth: '2' });
  });

  it('emits no page children at maxDepth, but still every image child', async () => {
    const { images, children } = await extract(FIXTURE, { url: PAGE, depth: '2', maxDepth: '2' });
    assert.equal(children.filter((c) => c.dag === 'page-ingest').length, 0);
    assert.equal(children.length, images.length);
  });

  it('honours custom DAG names and caps', async () => {
    const { images, pageLinks, children } = await extract(FIXTURE, { url: PAGE, depth: '0', maxDepth: '5' }, { imageDag: 'img', pageDag: 'pg', maxImages: 3, maxLinks: 2 });
    assert.equal(images.length, 3);
    assert.equal(pageLinks.length, 2);
    assert.deepEqual(new Set(children.map((c) => c.dag)), new Set(['img', 'pg']));
  });

  it('rejects bad options with every problem listed', () => {
    assert.throws(() => createImageExtractOperator({ maxImages: 0, maxLinks: -1, imageDag: '' }), (err: Error) => {
      assert.match(err.message, /maxImages/);
      assert.match(err.message, /maxLinks/);
      assert.match(err.message, /imageDag/);
      return true;
    });
  });

  it('copes with malformed HTML', async () => {
    const { images } = await extract('<p><img src="a.png" alt=x><b>bold <img src=b.png><div></p></span><table><td><img src=c.png');
    assert.deepEqual(images.map((i) => i.url), ['https://site.test/dir/a.png', 'https://site.test/dir/b.png']);
  });
});

describe('srcset parsing', () => {
  it('parses widths, densities and bare URLs', () => {
    assert.deepEqual(parseSrcset('a.jpg 100w, b.jpg 2x,c.jpg'), [{ url: 'a.jpg', width: 100 }, { url: 'b.jpg', density: 2 }, { url: 'c.jpg' }]);
    assert.equal(largestCandidate('a.jpg 1x, b.jpg 3x, c.jpg 2x'), 'b.jpg');
    assert.equal(largestCandidate('a.jpg 300w, b.jpg 1200w'), 'b.jpg');
    assert.equal(largestCandidate('   '), undefined);
    // A comma not followed by whitespace belongs to the URL (as in browsers).
    assert.equal(largestCandidate('a.jpg,b.jpg 2x'), 'a.jpg,b.jpg');
    assert.equal(largestCandidate('a.jpg 1x,b.jpg 2x'), 'b.jpg');
  });
});
