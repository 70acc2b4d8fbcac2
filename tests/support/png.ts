/**
 * Small PNG images for tests (a real, decodable image: browsers give it a
 * `naturalWidth`), made here so no binary file is checked in.
 *
 * ```ts ignore
 * import { png } from "./png.ts";
 * const bytes = await png(4, 3, (x, y) => [x * 60, y * 80, 200]);
 * ```
 *
 * @module
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An 8-bit RGB PNG of `width` × `height` pixels.
 *
 * @param width Pixels across.
 * @param height Pixels down.
 * @param color The colour of each pixel, `[r, g, b]` in 0–255.
 * @returns The PNG file's bytes.
 */
export async function png(
  width: number,
  height: number,
  color: (x: number, y: number) => [number, number, number],
): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // depth 8, RGB, deflate, filter 0, no interlace
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + 3 * width); // filter type 0 at raw[row]
    for (let x = 0; x < width; x++) {
      raw.set(color(x, y).map((v) => v & 255), row + 1 + 3 * x);
    }
  }
  // "deflate" in CompressionStream is the zlib format PNG wants.
  const idat = new Uint8Array(
    await new Response(
      new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
