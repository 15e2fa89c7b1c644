// Streams a response body through the decoders its Content-Encoding names, enforcing the size
// cap on the bytes on the wire AND on the decoded bytes (a 10 KB gzip can inflate to 10 GB).
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { FetchError } from './fetch-error.ts';

export interface ReadBodyOptions {
  url: string;
  maxBytes: number;
  encoding: string | undefined;
  /** Called for every chunk read from the wire (resets the read-idle timer). */
  onChunk(): void;
}

export async function readBody(res: Readable, options: ReadBodyOptions): Promise<Uint8Array> {
  const { url, maxBytes } = options;
  const decoders = decodersFor(options.encoding, url);
  const chunks: Buffer[] = [];
  let decoded = 0;
  const collect = new Writable({
    write(chunk: Buffer, _enc, done) {
      decoded += chunk.length;
      if (decoded > maxBytes) return done(new FetchError('TOO_LARGE', url, `Decoded body exceeds ${maxBytes} bytes`));
      chunks.push(chunk);
      done();
    },
  });
  let decodeError: Error | undefined;
  for (const d of decoders) d.once('error', (e) => (decodeError ??= e));
  try {
    await pipeline([res, rawLimit(url, maxBytes, options.onChunk), ...decoders, collect]);
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (decodeError !== undefined && !(decodeError instanceof FetchError)) {
      throw new FetchError('DECODE_FAILED', url, `Cannot decode ${options.encoding} body: ${decodeError.message}`, { cause: decodeError });
    }
    throw err;
  }
  const body = Buffer.concat(chunks);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

function rawLimit(url: string, maxBytes: number, onChunk: () => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onChunk();
      seen += chunk.length;
      if (seen > maxBytes) return done(new FetchError('TOO_LARGE', url, `Body exceeds ${maxBytes} bytes`));
      done(null, chunk);
    },
  });
}

function decodersFor(header: string | undefined, url: string): Transform[] {
  if (header === undefined) return [];
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  // Codings are listed in the order applied, so undo them last-first.
  return codings.reverse().map((coding) => {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        return zlib.createGunzip();
      case 'deflate':
        return inflateAnyDeflate();
      case 'br':
        return zlib.createBrotliDecompress();
      default:
        throw new FetchError('UNSUPPORTED_ENCODING', url, `Unsupported Content-Encoding \`${coding}\``);
    }
  });
}

// "deflate" is meant to be zlib-wrapped, but some servers send raw deflate; sniff the first byte.
function inflateAnyDeflate(): Transform {
  let inner: zlib.Inflate | zlib.InflateRaw | undefined;
  const outer: Transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (inner === undefined) {
        inner = (chunk[0]! & 0x0f) === 8 ? zlib.createInflate() : zlib.createInflateRaw();
        inner.on('data', (d: Buffer) => outer.push(d));
        inner.on('error', (e) => outer.destroy(e));
      }
      if (inner.write(chunk)) done();
      else inner.once('drain', () => done());
    },
    flush(done) {
      if (inner === undefined) return done();
      inner.once('end', () => done());
      inner.end();
    },
  });
  return outer;
}
