/**
 * CRC-32C (Castagnoli), the checksum of VHDX headers and region tables ([MS-VHDX] 2.2.2). Node
 * has no built-in for it; only a few 4 KiB and 64 KiB structures are summed per image, so a
 * byte-wise table is fast enough.
 */

/** The Castagnoli polynomial, bit-reversed for least-significant-bit-first processing. */
const POLYNOMIAL = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
