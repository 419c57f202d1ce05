/**
 * Index files say which blobs each pack holds, so opening a repository does not read every pack.
 * They are a cache in the strict sense: `rebuildIndex` recreates them from the packs' own tables.
 *
 * Payload (sealed, after the "SFINDX01" magic): u32 pack count, then per pack:
 * pack id (32 bytes), pack size (u64 LE), and the pack's blob table (u32 count + 48-byte entries).
 */
import { createHash } from "node:crypto";
import { CorruptDataError } from "../common/errors.js";
import { MAGIC } from "./file-formats.js";
import { decodeEntries, encodeEntries, type PackEntry } from "./pack-table.js";
import { decodeSealedFile, encodeSealedFile } from "./sealed-file.js";
import type { Sealer } from "./sealer.js";

export interface IndexedPack {
  id: string;
  size: number;
  entries: PackEntry[];
}

export function encodeIndexFile(
  sealer: Sealer,
  packs: readonly IndexedPack[],
): { name: string; bytes: Buffer } {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32LE(packs.length, 0);
  parts.push(count);
  for (const pack of packs) {
    const head = Buffer.alloc(40);
    Buffer.from(pack.id, "hex").copy(head, 0);
    head.writeBigUInt64LE(BigInt(pack.size), 32);
    parts.push(head, encodeEntries(pack.entries));
  }
  const bytes = encodeSealedFile(MAGIC.index, sealer, Buffer.concat(parts));
  return { name: createHash("sha256").update(bytes).digest("hex"), bytes };
}

export function decodeIndexFile(sealer: Sealer, bytes: Buffer, what: string): IndexedPack[] {
  const payload = decodeSealedFile(MAGIC.index, sealer, bytes, what);
  if (payload.length < 4) throw new CorruptDataError(`${what} is truncated`);
  const packs: IndexedPack[] = [];
  let pos = 4;
  for (let n = payload.readUInt32LE(0); n > 0; n--) {
    if (pos + 40 > payload.length) throw new CorruptDataError(`${what} is truncated`);
    const id = payload.subarray(pos, pos + 32).toString("hex");
    const size = Number(payload.readBigUInt64LE(pos + 32));
    const { entries, end } = decodeEntries(payload, pos + 40, what);
    packs.push({ id, size, entries });
    pos = end;
  }
  return packs;
}
