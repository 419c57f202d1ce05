/**
 * Values as they cross a door (preload/contract.ts `Wire`): Dates become ISO 8601 strings, in
 * Electron's IPC (which could keep them) as over the bridge's JSON, so both doors give the renderer
 * the same shape.
 */
import type { Wire } from "../../preload/contract.js";

export function toWire<T>(value: T): Wire<T> {
  return convert(value) as Wire<T>;
}

function convert(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(convert);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
  }
  return value;
}
