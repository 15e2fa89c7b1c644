// The words around an image: its figure's caption, else the text of the nearest block that has
// any, collapsed and bounded so an image in a huge <div> does not drag the whole page along.
import type { Element, AnyNode } from 'domhandler';
import { findOne, textContent } from 'domutils';

export const MAX_CONTEXT = 300;
const BLOCKS = new Set(['p', 'li', 'figure', 'td', 'th', 'dd', 'dt', 'blockquote', 'div', 'section', 'article', 'header', 'footer', 'aside', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'span']);
const MAX_CLIMB = 3;

export function imageContext(img: Element): string {
  let node: AnyNode | null = img.parent;
  let climbed = 0;
  while (node !== null && node.type === 'tag' && climbed < MAX_CLIMB) {
    const el = node as Element;
    if (el.name === 'figure') {
      const caption = findOne((e) => e.name === 'figcaption', el.children, true);
      if (caption) return bound(textContent(caption));
    }
    if (BLOCKS.has(el.name)) {
      const text = collapse(textContent(el));
      if (text !== '') return bound(text);
      climbed += 1;
    }
    if (el.name === 'body' || el.name === 'main') break;
    node = el.parent;
  }
  return '';
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function bound(text: string, max = MAX_CONTEXT): string {
  const t = collapse(text);
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}
