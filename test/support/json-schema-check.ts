/**
 * A small JSON Schema (draft-07) checker for the keywords electron-builder's scheme.json uses. A
 * keyword it does not know makes it throw rather than pass: a check that silently skipped a rule
 * would prove nothing.
 */
export type JsonSchema = boolean | { [keyword: string]: unknown };

const KNOWN = new Set([
  "$ref",
  "$schema",
  "additionalProperties",
  "anyOf",
  "const",
  "default",
  "definitions",
  "description",
  "enum",
  "items",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "type",
  "typeof",
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = jsonType(value);
  return actual === expected || (expected === "number" && actual === "integer");
}

export class SchemaChecker {
  constructor(private readonly root: Record<string, unknown>) {}

  /** Every violation, as "path: what is wrong"; empty when VALUE conforms. */
  check(value: unknown, schema: JsonSchema = this.root, at = "$"): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${at}: not allowed here`];
    for (const keyword of Object.keys(schema)) {
      if (!KNOWN.has(keyword))
        throw new Error(`schema keyword "${keyword}" at ${at} is not supported by this checker`);
    }
    const errors: string[] = [];
    if (typeof schema.$ref === "string") errors.push(...this.check(value, this.resolve(schema.$ref), at));
    if (Array.isArray(schema.anyOf)) errors.push(...this.anyOf(value, schema.anyOf as JsonSchema[], at));
    if (schema.typeof !== undefined && typeof value !== schema.typeof) {
      errors.push(`${at}: must be a ${String(schema.typeof)}`);
    }
    if (schema.type !== undefined) {
      const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
      if (!types.some((t) => typeMatches(t, value)))
        errors.push(`${at}: must be ${types.join(" or ")}, is ${jsonType(value)}`);
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
      errors.push(`${at}: must be one of ${JSON.stringify(schema.enum)}`);
    }
    if ("const" in schema && schema.const !== value)
      errors.push(`${at}: must be ${JSON.stringify(schema.const)}`);
    if (isRecord(value)) errors.push(...this.object(value, schema, at));
    if (Array.isArray(value)) errors.push(...this.array(value, schema, at));
    return errors;
  }

  private resolve(ref: string): JsonSchema {
    const match = /^#\/definitions\/(.+)$/.exec(ref);
    const definitions = this.root.definitions;
    const target = match?.[1] !== undefined && isRecord(definitions) ? definitions[match[1]] : undefined;
    if (typeof target !== "boolean" && !isRecord(target)) throw new Error(`cannot resolve ${ref}`);
    return target;
  }

  private anyOf(value: unknown, options: JsonSchema[], at: string): string[] {
    const failures = options.map((option) => this.check(value, option, at));
    if (failures.some((f) => f.length === 0)) return [];
    // The branch of the value's own type says most: skip those that failed on the type alone.
    const wrongType = (f: string[]): boolean => f.length === 1 && (f[0] ?? "").startsWith(`${at}: must be `);
    const candidates = failures.some((f) => !wrongType(f)) ? failures.filter((f) => !wrongType(f)) : failures;
    const closest = candidates.reduce((a, b) => (b.length < a.length ? b : a));
    return [`${at}: matches none of ${options.length} alternatives; closest: ${closest.join("; ")}`];
  }

  private object(value: Record<string, unknown>, schema: Record<string, unknown>, at: string): string[] {
    const errors: string[] = [];
    const properties = isRecord(schema.properties) ? schema.properties : {};
    for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
      if (!(key in value)) errors.push(`${at}: lacks required "${key}"`);
    }
    for (const [key, item] of Object.entries(value)) {
      const own = properties[key];
      if (typeof own === "boolean" || isRecord(own)) errors.push(...this.check(item, own, `${at}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: unknown property "${key}"`);
      else if (isRecord(schema.additionalProperties)) {
        errors.push(...this.check(item, schema.additionalProperties, `${at}.${key}`));
      }
    }
    return errors;
  }

  private array(value: unknown[], schema: Record<string, unknown>, at: string): string[] {
    const errors: string[] = [];
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      errors.push(`${at}: needs at least ${schema.minItems} items`);
    }
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      errors.push(`${at}: allows at most ${schema.maxItems} items`);
    }
    const items = schema.items;
    value.forEach((item, i) => {
      const itemSchema = Array.isArray(items)
        ? (items[i] as JsonSchema | undefined)
        : (items as JsonSchema | undefined);
      if (itemSchema !== undefined) errors.push(...this.check(item, itemSchema, `${at}[${i}]`));
    });
    return errors;
  }
}
