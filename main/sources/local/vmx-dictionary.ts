/**
 * VMware's dictionary file format, shared by .vmx and .vmsd files: `key = "value"` lines, `#`
 * comments, keys compared case-insensitively, and values in which a `|` followed by two hex
 * digits stands for that byte (VMware writes `"` as |22, `|` as |7C, a newline as |0A). The
 * file's character set is named by its `.encoding` line.
 */
import { TextDecoder } from "node:util";
import { SnapferryError } from "../../common/errors.js";

export class VmxDictionary {
  /** Lower-cased key → value, unescaped. */
  private readonly values = new Map<string, string>();

  set(key: string, value: string): void {
    this.values.set(key.toLowerCase(), value);
  }

  get(key: string): string | undefined {
    return this.values.get(key.toLowerCase());
  }

  keys(): IterableIterator<string> {
    return this.values.keys();
  }

  get size(): number {
    return this.values.size;
  }

  /** VMware's booleans: TRUE/FALSE in any case, and the yes/no and 1/0 it also accepts. */
  bool(key: string): boolean | undefined {
    const v = this.get(key)?.trim().toLowerCase();
    if (v === undefined) return undefined;
    if (v === "true" || v === "yes" || v === "1") return true;
    if (v === "false" || v === "no" || v === "0") return false;
    return undefined;
  }

  int(key: string): number | undefined {
    const v = this.get(key)?.trim();
    if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
    return Number(v);
  }
}

/** The file's declared encoding, found before decoding (the line itself is plain ASCII). */
function declaredEncoding(data: Buffer): string {
  const head = data.subarray(0, 4096).toString("latin1");
  const m = /^\s*\.encoding\s*=\s*"?([-\w]+)"?/im.exec(head);
  return m?.[1] ?? "utf-8";
}

function decoderFor(label: string): TextDecoder {
  try {
    return new TextDecoder(label);
  } catch {
    // An encoding this Node build lacks: UTF-8 still reads every ASCII key and value right.
    return new TextDecoder("utf-8");
  }
}

/** Replaces |XX escapes by their bytes, decoding runs of non-ASCII bytes with the file's charset. */
export function unescapeVmxValue(raw: string, decoder: TextDecoder = new TextDecoder("utf-8")): string {
  return raw.replace(/(?:\|[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/\|/g, ""), "hex");
    return decoder.decode(bytes);
  });
}

/**
 * Escapes what VMware escapes: the quote and the escape character, `#` (a comment start for
 * some of its readers) and control characters. Other characters are written as UTF-8.
 */
export function escapeVmxValue(value: string): string {
  let out = "";
  for (const c of value) {
    const code = c.charCodeAt(0);
    const escaped = code < 0x20 || code === 0x7f || c === '"' || c === "#" || c === "|";
    out += escaped ? `|${code.toString(16).toUpperCase().padStart(2, "0")}` : c;
  }
  return out;
}

export function formatVmxLine(key: string, value: string): string {
  return `${key} = "${escapeVmxValue(value)}"`;
}

/** The value part of a line: quoted (up to the closing quote) or bare (up to a comment). */
function rawValue(rest: string): string {
  const trimmed = rest.trim();
  if (trimmed.startsWith('"')) {
    const close = trimmed.indexOf('"', 1);
    // A missing closing quote: take the rest of the line, as VMware's own reader does.
    return close < 0 ? trimmed.slice(1) : trimmed.slice(1, close);
  }
  const comment = trimmed.indexOf("#");
  return (comment < 0 ? trimmed : trimmed.slice(0, comment)).trim();
}

/**
 * Parses a dictionary file. `what` names the file in errors. Lines that are not `key = value`
 * are ignored, as VMware's reader skips them, but a file with no key at all, or with NUL bytes,
 * is not a dictionary and is refused.
 */
export function parseVmxDictionary(data: Buffer | string, what: string): VmxDictionary {
  const decoder = typeof data === "string" ? new TextDecoder("utf-8") : decoderFor(declaredEncoding(data));
  const text = typeof data === "string" ? data : decoder.decode(data);
  if (text.includes("\u0000")) {
    throw new SnapferryError(
      "source",
      `${what} is not a VMware configuration file (it holds binary data)`,
      "Check the path: give the VM's .vmx file or its folder.",
    );
  }
  const dict = new VmxDictionary();
  for (const line of text.split(/\r?\n|\r/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq).trim();
    if (key === "" || /\s/.test(key)) continue;
    dict.set(key, unescapeVmxValue(rawValue(trimmed.slice(eq + 1)), decoder));
  }
  if (dict.size === 0 && text.trim() !== "") {
    throw new SnapferryError(
      "source",
      `${what} is not a VMware configuration file (no "key = value" line)`,
      "Check the path: give the VM's .vmx file or its folder.",
    );
  }
  return dict;
}
