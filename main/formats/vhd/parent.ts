/**
 * Finding and checking a differencing VHD's parent: the parent locators record its path in
 * several forms, the header its file name and unique id. The parent found must carry that
 * unique id in its footer, so a different disk that happens to have the same name is refused.
 */
import { ImageFormatError } from "../image-error.js";
import { ImageFile } from "../shared/image-file.js";
import { findParent, type RecordedParent } from "../shared/parent-path.js";
import type { DynamicHeader, ParentLocatorEntry } from "./dynamic-header.js";
import { readFooter } from "./footer.js";

function decode(code: string, data: Buffer): string | undefined {
  const text = (encoding: BufferEncoding) => data.toString(encoding).split("\0")[0] ?? "";
  switch (code) {
    case "W2ru":
    case "W2ku":
      return text("utf16le");
    case "Wi2r":
    case "Wi2k":
      return text("latin1");
    case "MacX": {
      // A file URL ("file://localhost/Users/…"): only its path part is a path.
      const match = /^file:\/\/[^/]*(\/.*)$/.exec(text("utf8"));
      return match?.[1] ? decodeURIComponent(match[1]) : undefined;
    }
    default:
      return undefined;
  }
}

async function recorded(file: ImageFile, header: DynamicHeader): Promise<RecordedParent> {
  const paths: RecordedParent = { relative: [], absolute: [] };
  const read = async (entry: ParentLocatorEntry) =>
    decode(entry.code, await file.read(entry.offset, entry.length, `the VHD parent locator ${entry.code}`));
  // Relative paths first: they survive moving the whole chain to another folder or machine.
  for (const entry of header.locators.filter((l) => l.code === "W2ru" || l.code === "Wi2r")) {
    const value = await read(entry);
    if (value) paths.relative.push(value);
  }
  for (const entry of header.locators.filter(
    (l) => l.code === "W2ku" || l.code === "Wi2k" || l.code === "MacX",
  )) {
    const value = await read(entry);
    if (value) paths.absolute.push(value);
  }
  if (header.parentName) paths.relative.push(header.parentName);
  return paths;
}

/** The parent's path, after checking that it is the disk this one was made from. */
export async function locateParent(file: ImageFile, header: DynamicHeader): Promise<string> {
  const parentPath = await findParent(file.path, await recorded(file, header));
  if (header.parentUniqueId.every((b) => b === 0)) return parentPath;
  const parent = await ImageFile.open(parentPath);
  try {
    const { uniqueId } = await readFooter(parent);
    if (!uniqueId.equals(header.parentUniqueId)) {
      throw new ImageFormatError(
        file.path,
        `its parent ${parentPath} is not the disk it was made from (unique id ${uniqueId.toString("hex")}, recorded ${header.parentUniqueId.toString("hex")})`,
        "Use the parent the differencing disk was made from.",
      );
    }
  } finally {
    await parent.close();
  }
  return parentPath;
}
