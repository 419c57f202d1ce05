/**
 * ChangeIds in ESXi's format: the disk's tracking-instance UUID as 16 hex bytes ("52 de 3f 5c 8e 2c
 * 86 fa-6e 0c 9a f6 0e 0b 2b 7c"), a slash, and a sequence number. The harness uses the snapshot
 * generation as the sequence number, and a new instance UUID whenever tracking is reset, so a
 * changeId from before a reset, or from another disk, is recognisably foreign.
 */
import { randomBytes } from "node:crypto";

export interface ChangeId {
  instance: string;
  sequence: number;
}

export function newTrackingInstance(): string {
  const bytes = [...randomBytes(16)].map((b) => b.toString(16).padStart(2, "0"));
  bytes[0] = "52"; // ESXi's disk UUIDs start with 52
  return `${bytes.slice(0, 8).join(" ")}-${bytes.slice(8).join(" ")}`;
}

export function formatChangeId(id: ChangeId): string {
  return `${id.instance}/${id.sequence}`;
}

const CHANGE_ID = /^((?:[0-9a-f]{2} ){7}[0-9a-f]{2}-(?:[0-9a-f]{2} ){7}[0-9a-f]{2})\/(\d+)$/i;

export function parseChangeId(value: string): ChangeId | undefined {
  const match = CHANGE_ID.exec(value.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { instance: match[1].toLowerCase(), sequence: Number(match[2]) };
}
