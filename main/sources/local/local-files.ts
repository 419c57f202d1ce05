/**
 * File helpers shared by the local VM sources: reading a VM's small configuration files and
 * fingerprinting the state of every file a backup reads.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { errnoCode, SnapferryError } from "../../common/errors.js";

/** Configuration files are kilobytes (an NVRAM file up to a few MiB); more means a wrong file. */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

function accessError(file: string, err: unknown): SnapferryError {
  const code = errnoCode(err);
  return new SnapferryError(
    "source",
    code === "ENOENT" ? `${file} does not exist` : `cannot read ${file} (${code ?? String(err)})`,
    code === "EACCES" || code === "EPERM"
      ? "Run as a user that may read the VM's files (libvirt's are often root's)."
      : "Check the VM's folder and that its files are all there.",
    { cause: err },
  );
}

export async function readConfigFile(file: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (err) {
    throw accessError(file, err);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new SnapferryError(
      "source",
      `${file} is ${size} bytes, too large for a VM configuration file`,
      "Check the path: give the VM's configuration file or folder.",
    );
  }
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw accessError(file, err);
  }
}

/**
 * Sizes and modification times of `files`, hashed: it changes when any of them is written, so a
 * resumed backup never mixes two states of the VM.
 */
export async function fingerprintFiles(kind: string, files: string[]): Promise<string> {
  const hash = createHash("sha256").update(kind);
  for (const file of [...new Set(files)].sort()) {
    let line: string;
    try {
      const st = await fs.stat(file);
      line = `${file}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
    } catch (err) {
      throw accessError(file, err);
    }
    hash.update(`\n${line}`);
  }
  return hash.digest("hex");
}
