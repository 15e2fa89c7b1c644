// Title and page type from one streaming parse of the decoded page.
import { Parser } from 'htmlparser2';

export type PageType = 'home' | 'article' | 'product' | 'gallery' | 'listing' | 'page';

export interface PageInfo {
  title: string;
  pageType: PageType;
}

const MAX_TITLE = 512;

export function readPageInfo(html: string, pageUrl: string): PageInfo {
  let inTitle = false;
  let title = '';
  let ogTitle: string | undefined;
  let ogType: string | undefined;
  let images = 0;
  let links = 0;
  let articles = 0;
  let textChars = 0;
  let skipDepth = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'title' && title === '') inTitle = true;
        else if (name === 'img') images += 1;
        else if (name === 'a' && attrs.href !== undefined) links += 1;
        else if (name === 'article') articles += 1;
        else if (name === 'script' || name === 'style') skipDepth += 1;
        else if (name === 'meta') {
          const key = (attrs.property ?? attrs.name ?? '').toLowerCase();
          if (key === 'og:type') ogType = (attrs.content ?? '').trim().toLowerCase();
          if (key === 'og:title') ogTitle = attrs.content;
        }
      },
      ontext(text) {
        if (inTitle) title += text;
        else if (skipDepth === 0) textChars += text.trim().length;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (name === 'script' || name === 'style') skipDepth = Math.max(0, skipDepth - 1);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  const clean = (title.trim() === '' ? ogTitle ?? '' : title).replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE);
  return { title: clean, pageType: classify({ pageUrl, ogType, images, links, articles, textChars }) };
}

function classify(p: { pageUrl: string; ogType: string | undefined; images: number; links: number; articles: number; textChars: number }): PageType {
  if (p.ogType === 'article') return 'article';
  if (p.ogType === 'product' || p.ogType?.startsWith('product.')) return 'product';
  const path = new URL(p.pageUrl).pathname;
  if (path === '/' || /^\/index\.html?$/i.test(path)) return 'home';
  if (p.articles > 0) return 'article';
  if (p.images >= 5 && p.textChars < p.images * 200) return 'gallery';
  if (p.links >= 20) return 'listing';
  return 'page';
}
