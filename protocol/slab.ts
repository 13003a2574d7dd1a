/**
 * Small byte arrays copied into views of shared slabs.
 *
 * Deno's V8 keeps every ArrayBuffer off the JavaScript heap, so allocating a
 * typed array there costs about 1 µs, against about 35 ns for a view; a
 * server that encoded each game message into a fresh array spent a fifth of
 * its time allocating. Copies handed out here are views into a 16 KiB slab
 * that is never written again where a view lies, so they can be kept like
 * any array; their `buffer` is the slab, not an array of their own size.
 *
 * @module
 */

/** Arrays up to this many bytes are copied into a slab; larger ones get their own buffer. */
export const SLAB_COPY_MAX = 128;
/** Bytes of one slab. */
const SLAB_SIZE = 16 * 1024;

let slab = new Uint8Array(0);
let used = 0;

/**
 * Copy `bytes`: into a view of a shared slab when small, else into a new array.
 *
 * @param bytes What to copy.
 * @returns A copy that nothing else writes to (its `buffer` may be shared).
 *
 * @example
 * ```ts
 * import { copyToSlab } from "./slab.ts";
 * const source = new Uint8Array([1, 2, 3]);
 * const copy = copyToSlab(source);
 * source[0] = 9;
 * console.log(copy); // Uint8Array [1, 2, 3]
 * ```
 */
export function copyToSlab(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > SLAB_COPY_MAX) return bytes.slice();
  if (used + n > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  out.set(bytes);
  used += n;
  return out;
}
