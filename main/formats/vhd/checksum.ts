/** The VHD checksum: the one's complement of the byte sum, with the checksum field counted as zero. */
export function vhdChecksum(data: Buffer, fieldAt: number): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) if (i < fieldAt || i >= fieldAt + 4) sum += data[i] ?? 0;
  return ~sum >>> 0;
}
