/**
 * Guards opening a chain of differencing disks against loops (a child whose parent locator leads
 * back to itself or to one of its descendants) and against absurdly deep chains. The files being
 * opened are tracked in the async context, so the guard also holds when the parent is opened
 * through a caller's own opener (which may come back into any format's open function).
 *
 * The context is entered only around opening a parent: the first AsyncLocalStorage.run turns on
 * promise hooks for the rest of the process (Node 20, and 22 without AsyncContextFrame), which
 * slows every later await of a backup, and a disk without a parent has no need for it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promises as fs } from "node:fs";
import path from "node:path";
import { ImageFormatError } from "../image-error.js";

/** Real chains are a few layers, long snapshot chains a few hundred at most. */
export const MAX_CHAIN_DEPTH = 256;

interface Opening {
  /** Device and inode: the same file reached through another path or a link is still the same. */
  id: string;
  path: string;
}

const opening = new AsyncLocalStorage<readonly Opening[]>();

async function identity(file: string): Promise<string> {
  try {
    const stat = await fs.stat(file, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    // The open that follows reports the missing or unreadable file properly.
    return path.resolve(file);
  }
}

/** Opens a layer's parent (through `openParent`) with the layer counted as part of the chain. */
export type ParentScope = <P>(openParent: () => Promise<P>) => Promise<P>;

/**
 * Runs `open` for `file`, refusing it if `file` is already being opened further up the chain;
 * `open` must open the file's parent, if it has one, through the scope it is given.
 */
export async function openInChain<T>(file: string, open: (inChain: ParentScope) => Promise<T>): Promise<T> {
  const id = await identity(file);
  const chain = opening.getStore() ?? [];
  if (chain.some((entry) => entry.id === id)) {
    throw new ImageFormatError(
      file,
      `its chain of parent disks loops back to itself (${[...chain.map((e) => e.path), file].join(" -> ")})`,
      "Point the differencing disk at its real parent; a disk cannot be its own ancestor.",
    );
  }
  if (chain.length >= MAX_CHAIN_DEPTH) {
    throw new ImageFormatError(file, `the chain of parent disks is deeper than ${MAX_CHAIN_DEPTH} layers`);
  }
  const withFile = [...chain, { id, path: file }];
  return open((openParent) => opening.run(withFile, openParent));
}
