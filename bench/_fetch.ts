/**
 * What the fetch benchmarks share: the blobs both sides store (the same
 * bytes as `blob()` in `_slixmpp_bob_fetch.py`) and a rate measured with
 * workers in flight.
 *
 * @module
 */

/** Blob k of `size` bytes: a big-endian counter, then a pattern. */
export function blob(k: number, size: number): Uint8Array {
  const out = new Uint8Array(size + 4);
  new DataView(out.buffer).setUint32(0, k);
  for (let i = 0; i < size; i++) out[4 + i] = (i * 7 + k) % 256;
  return out.subarray(0, size);
}

/**
 * Calls per second of `total` calls made by `concurrency` workers, worker k
 * always calling `fetch(k)`, each awaiting its call before the next.
 */
export async function runWorkers(
  total: number,
  concurrency: number,
  fetch: (k: number) => Promise<unknown>,
): Promise<number> {
  let remaining = total;
  const worker = async (k: number) => {
    while (remaining > 0) {
      remaining--;
      await fetch(k);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, k) => worker(k)));
  return total / ((performance.now() - t0) / 1000);
}
