// URL validation before any network activity: scheme, credentials, host, port.
import { FetchError } from './fetch-error.ts';

export function checkUrl(raw: string, base?: string): URL {
  let url: URL;
  try {
    url = base === undefined ? new URL(raw) : new URL(raw, base);
  } catch {
    throw new FetchError('BAD_URL', String(raw), 'Not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError('BAD_URL', url.href, `Only http and https URLs may be fetched, got scheme \`${url.protocol.slice(0, -1)}\``);
  }
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('BAD_URL', redact(url), 'URLs with embedded credentials are refused');
  }
  if (url.hostname === '') throw new FetchError('BAD_URL', url.href, 'URL has no host');
  url.hash = '';
  return url;
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
