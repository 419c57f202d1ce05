/**
 * CRC-32C (Castagnoli), the checksum of VHDX headers, region tables and log entries ([MS-VHDX]
 * 2.2.2), used both to check them when reading and to seal them when writing. Node has no
 * built-in for it (zlib's crc32 uses another polynomial); a byte-wise table is fast enough for
 * the few kilobytes summed per image.
 */

/** The Castagnoli polynomial, bit-reversed for least-significant-bit-first processing. */
const POLYNOMIAL = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  const n = data.length;
  // An indexed loop: several times faster than for-of over a typed array in V8.
  for (let i = 0; i < n; i++) crc = (TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The CRC-32C of `data` as VHDX computes it: with its 4-byte checksum field at `at` taken as zero. */
export function crc32cWithoutField(data: Buffer, at: number): number {
  const copy = Buffer.from(data);
  copy.writeUInt32LE(0, at);
  return crc32c(copy);
}
