/**
 * A small, strict XML reader for the configuration files of local VMs (libvirt domain XML,
 * VMware .vmxf). It builds an element tree with attributes and text, and deliberately knows no
 * DTD: entity declarations are never expanded, so a hostile file cannot blow up memory.
 */
import { SnapferryError } from "../../common/errors.js";

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), children's text excluded. */
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const SPACE = /\s*/y;
const ATTRIBUTE = /([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

export class XmlSyntaxError extends SnapferryError {
  constructor(what: string, problem: string, line: number) {
    super(
      "source",
      `${what} is not valid XML: ${problem} (line ${line})`,
      "Check that the file is complete; an editor or a copy may have cut it short.",
    );
  }
}

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly what: string,
  ) {}

  fail(problem: string): never {
    const line = this.text.slice(0, this.pos).split("\n").length;
    throw new XmlSyntaxError(this.what, problem, line);
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  /** Moves past the next `end`, returning what came before it. */
  through(end: string, what: string): string {
    const at = this.text.indexOf(end, this.pos);
    if (at < 0) this.fail(`${what} is not closed`);
    const body = this.text.slice(this.pos, at);
    this.pos = at + end.length;
    return body;
  }

  match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m) this.pos = re.lastIndex;
    return m;
  }

  skipSpace(): void {
    this.match(SPACE);
  }

  name(): string {
    const m = this.match(NAME);
    if (!m) this.fail("a tag name was expected");
    return m[0];
  }
}

function decodeEntities(raw: string, cursor: Cursor): string {
  return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) cursor.fail(`"&${ref}" is not a complete entity reference`);
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ref);
    if (numeric?.[1] === undefined) cursor.fail(`unknown entity &${ref};`);
    const digits = numeric[1];
    const code = digits.startsWith("x") ? parseInt(digits.slice(1), 16) : parseInt(digits, 10);
    if (code > 0x10ffff || code === 0) cursor.fail(`character reference &${ref}; is out of range`);
    return String.fromCodePoint(code);
  });
}

/** Skips what may stand outside and between elements: declarations, comments, a DOCTYPE. */
function skipMarkup(cursor: Cursor): boolean {
  if (cursor.startsWith("<?")) {
    cursor.through("?>", "a processing instruction");
  } else if (cursor.startsWith("<!--")) {
    cursor.through("-->", "a comment");
  } else if (cursor.startsWith("<!DOCTYPE")) {
    // An internal subset could declare entities; it is skipped, and its entities stay unknown.
    const close = cursor.text.indexOf(">", cursor.pos);
    const subset = cursor.text.indexOf("[", cursor.pos);
    if (subset >= 0 && (close < 0 || subset < close)) cursor.through("]>", "the DOCTYPE");
    else cursor.through(">", "the DOCTYPE");
  } else {
    return false;
  }
  return true;
}

function openTag(cursor: Cursor): { element: XmlElement; selfClosing: boolean } {
  cursor.pos += 1;
  const element: XmlElement = { name: cursor.name(), attributes: {}, children: [], text: "" };
  for (;;) {
    cursor.skipSpace();
    if (cursor.startsWith("/>")) {
      cursor.pos += 2;
      return { element, selfClosing: true };
    }
    if (cursor.startsWith(">")) {
      cursor.pos += 1;
      return { element, selfClosing: false };
    }
    const m = cursor.match(ATTRIBUTE);
    if (!m?.[1]) cursor.fail(`a malformed attribute in <${element.name}>`);
    element.attributes[m[1]] = decodeEntities(m[2] ?? m[3] ?? "", cursor);
  }
}

const MAX_DEPTH = 256;

export function parseXml(text: string, what: string): XmlElement {
  const cursor: Cursor = new Cursor(text.replace(/^\uFEFF/, ""), what);
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (cursor.pos < cursor.text.length) {
    const parent = stack[stack.length - 1];
    if (skipMarkup(cursor)) continue;
    if (cursor.startsWith("<![CDATA[")) {
      cursor.pos += 9;
      const data = cursor.through("]]>", "a CDATA section");
      if (!parent) cursor.fail("text outside the root element");
      parent.text += data;
    } else if (cursor.startsWith("</")) {
      cursor.pos += 2;
      const name = cursor.name();
      cursor.skipSpace();
      if (!cursor.startsWith(">")) cursor.fail(`</${name} is not closed`);
      cursor.pos += 1;
      if (parent?.name !== name) cursor.fail(`</${name}> does not close <${parent?.name ?? "nothing"}>`);
      stack.pop();
    } else if (cursor.startsWith("<")) {
      if (root && !parent) cursor.fail("a second root element");
      const { element, selfClosing } = openTag(cursor);
      if (parent) parent.children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
      if (stack.length > MAX_DEPTH) cursor.fail(`elements nested deeper than ${MAX_DEPTH}`);
    } else {
      const next = cursor.text.indexOf("<", cursor.pos);
      const raw = cursor.text.slice(cursor.pos, next < 0 ? undefined : next);
      cursor.pos = next < 0 ? cursor.text.length : next;
      if (parent) parent.text += decodeEntities(raw, cursor);
      else if (raw.trim() !== "") cursor.fail("text outside the root element");
    }
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) cursor.fail(`<${unclosed.name}> is not closed`);
  if (!root) cursor.fail("no root element");
  return root;
}

export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** The trimmed text of the named child, or undefined when there is no such child. */
export function childText(element: XmlElement, name: string): string | undefined {
  return childElement(element, name)?.text.trim();
}
