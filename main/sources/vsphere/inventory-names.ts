/**
 * vSphere's escaping of entity names: "%", "/" and "\" inside a name are stored as %25, %2f and %5c,
 * so that an inventory path can be split on "/". Paths (what FindByInventoryPath takes) keep the
 * escaped form; names shown to people, and names people type, are the plain one.
 */

/** "a/b" → "a%2fb"; an existing "%xx" sequence is taken as already escaped and kept. */
export function escapeInventoryName(name: string): string {
  return name
    .replace(/%(?![0-9a-fA-F]{2})/g, "%25")
    .replace(/\//g, "%2f")
    .replace(/\\/g, "%5c");
}

/**
 * Whether two names are the same entity name, each either as vSphere stores it or as people write
 * it: "a/b" is the VM stored as "a%2fb".
 */
export function sameInventoryName(a: string, b: string): boolean {
  return escapeInventoryName(a) === escapeInventoryName(b);
}

/** "a%2fb" → "a/b": the name as the vSphere Client shows it. */
export function unescapeInventoryName(raw: string): string {
  return raw.replace(/%(25|2f|5c)/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}
