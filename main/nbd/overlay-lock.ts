/**
 * Keeps two Snapferry processes from using one overlay at once (two servers, or a finalize
 * while the server still takes writes): FILE.lock holds the owner's process id. A lock whose
 * process is gone (a crash, a power cut) is taken over.
 */
import { promises as fs } from "node:fs";
import { SnapferryError, errnoCode } from "../common/errors.js";

export interface OverlayLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === "EPERM";
  }
}

export async function lockOverlay(file: string, operation: string): Promise<OverlayLock> {
  const lockPath = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockPath, `${process.pid} ${operation}\n`, { flag: "wx" });
      return { release: () => fs.rm(lockPath, { force: true }) };
    } catch (err) {
      if (errnoCode(err) !== "EEXIST") throw err;
    }
    const [pidText, ...rest] = (await fs.readFile(lockPath, "utf8").catch(() => "")).trim().split(" ");
    const pid = Number(pidText);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new SnapferryError(
        "repository-locked",
        `overlay ${file} is in use by process ${pid} (${rest.join(" ") || "unknown operation"})`,
        "Stop that `snapferry serve` (Ctrl+C) first, or give another --overlay file.",
      );
    }
    await fs.rm(lockPath, { force: true });
  }
  throw new SnapferryError("internal", `could not lock overlay ${file}`, "Run the command again.");
}
