/**
 * The files of one partition as 7-Zip listed them, indexed by folder. 7-Zip lists a whole file
 * system in one go, so we list once and answer every later `list` and `search` from here.
 */
import type { ArchiveEntry } from "./seven-zip.js";

export interface FileEntry {
  /** "/etc/hosts" inside its partition, always starting with "/". */
  path: string;
  name: string;
  type: "file" | "dir" | "link";
  size: number;
  /** ISO 8601. */
  mtime: string | null;
}

const ROOT: FileEntry = { path: "/", name: "", type: "dir", size: 0, mtime: null };

function parentOf(p: string): string {
  const at = p.lastIndexOf("/");
  return at <= 0 ? "/" : p.slice(0, at);
}

export class FileTree {
  private readonly byPath = new Map<string, FileEntry>([["/", ROOT]]);
  private readonly children = new Map<string, FileEntry[]>();

  constructor(entries: ArchiveEntry[]) {
    for (const e of entries) {
      const parts = e.path.split("/").filter((s) => s !== "" && s !== ".");
      // An entry that climbs out or names nothing could only ever be written outside the
      // target folder: it is never offered for selection.
      if (parts.length === 0 || parts.includes("..") || e.path.startsWith("/")) continue;
      const full = "/" + parts.join("/");
      this.add({
        path: full,
        name: parts[parts.length - 1] ?? "",
        type: e.type,
        size: e.size,
        mtime: e.mtime,
      });
    }
    for (const list of this.children.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  }

  private add(entry: FileEntry): void {
    if (this.byPath.has(entry.path)) return;
    this.byPath.set(entry.path, entry);
    const parent = parentOf(entry.path);
    if (!this.byPath.has(parent)) {
      // 7-Zip normally lists every folder; this keeps the tree whole when it does not.
      this.add({
        path: parent,
        name: parent.slice(parent.lastIndexOf("/") + 1),
        type: "dir",
        size: 0,
        mtime: null,
      });
    }
    const siblings = this.children.get(parent);
    if (siblings) siblings.push(entry);
    else this.children.set(parent, [entry]);
  }

  get(p: string): FileEntry | undefined {
    return this.byPath.get(p);
  }

  list(p: string): FileEntry[] {
    return this.children.get(p) ?? [];
  }

  /** The entry and everything below it. */
  *within(p: string): Generator<FileEntry> {
    const entry = this.byPath.get(p);
    if (!entry) return;
    if (p !== "/") yield entry;
    for (const child of this.list(p)) yield* this.within(child.path);
  }

  search(query: string, limit: number): FileEntry[] {
    const q = query.toLowerCase();
    const out: FileEntry[] = [];
    for (const entry of this.byPath.values()) {
      if (entry.path !== "/" && entry.name.toLowerCase().includes(q)) out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }
}
