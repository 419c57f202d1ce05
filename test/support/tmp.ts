/** Temporary folders for tests, under the project's tmp/ (or TMPDIR), removed after the test. */
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = process.env.SNAPFERRY_TEST_TMP ?? fileURLToPath(new URL("../../../tmp/", import.meta.url));

export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  mkdirSync(ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
