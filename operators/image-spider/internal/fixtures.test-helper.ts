// Test fixtures built with sharp and zlib, served from a loopback server started by the test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

function crc32(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    let c = (crc ^ byte) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid-looking PNG whose header declares `side`×`side` grey pixels, with a tiny IDAT. */
export function bombPng(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey)
  const idat = deflateSync(Buffer.alloc(4 * (side + 1)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

export async function photo(format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff', width = 160, height = 120): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = (x * 255) / width;
      rgb[i + 1] = (y * 255) / height;
      rgb[i + 2] = ((x ^ y) * 7) & 0xff;
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })[format]().toBuffer();
}

export function bmp(width = 2, height = 2): Buffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + row * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, Buffer.alloc(row * height, 0x80)]);
}

export type Route = (res: import('node:http').ServerResponse, req: import('node:http').IncomingMessage) => void;

export async function serve(routes: Record<string, Route>): Promise<{ base: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(res, req);
    else res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>not found</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const body = (bytes: Uint8Array | string, contentType: string, status = 200): Route => (res) => {
  res.writeHead(status, { 'content-type': contentType }).end(bytes);
};
