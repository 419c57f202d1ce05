/**
 * Reading values back from catalog rows. JSON columns and enumerations are checked on the way
 * out, so a damaged or hand-edited row is reported by name instead of flowing into the app.
 */
import * as v from "valibot";
import { CatalogRowError } from "./catalog-errors.js";

export function jsonColumn<T>(
  file: string,
  what: string,
  schema: v.GenericSchema<unknown, T>,
  text: string,
): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CatalogRowError(file, what, "its JSON does not parse");
  }
  const result = v.safeParse(schema, parsed);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    throw new CatalogRowError(file, what, `${where ? `${where}: ` : ""}${issue.message}`);
  }
  return result.output;
}

export function enumColumn<T extends string>(
  file: string,
  what: string,
  allowed: readonly T[],
  value: string,
): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new CatalogRowError(file, what, `unexpected value "${value}"`);
  return found;
}

/** The names that must never appear in anything the catalog stores. */
export const SECRET_NAME = /password|passphrase|secret|token|private.?key|credential/i;

/**
 * The first key, at any depth, whose name says it holds a secret. A flag (`rememberPassword:
 * true`) or an empty value is not one.
 */
export function findSecretKey(value: unknown, at = ""): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findSecretKey(item, `${at}[${i}]`);
      if (found) return found;
    }
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const here = at ? `${at}.${key}` : key;
      if (SECRET_NAME.test(key) && item !== null && typeof item !== "boolean") return here;
      const found = findSecretKey(item, here);
      if (found) return found;
    }
  }
  return undefined;
}
