import { UsageError } from "./errors.js";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Parses "1M", "256K", "4MiB" or a plain byte count. */
export function parseSize(text: string): number {
  const match = /^(\d+)\s*([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not a size`, "Write a size like 1M, 256K or 4194304.");
  const unit = UNITS[(match[2] ?? "").toUpperCase()] ?? 1;
  return Number(match[1]) * unit;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
