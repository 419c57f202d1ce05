/**
 * `npm run security`: electronegativity over the Electron shell (main/app), the preload script and
 * the renderer's index.html, scanned together (its global checks, navigation limits and the CSP,
 * look across files), for the Electron version in package.json. Fails on any HIGH finding and on
 * any file it could not parse; prints every finding. Paths given as arguments (relative to the
 * project) are scanned instead, to try the gate on other code.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { blockingFindings, describeFinding, parseReport } from "./electronegativity-report.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DEFAULT_SCANNED = ["main/app", "preload/index.ts", "renderer/index.html"];

function electronVersion(): string {
  const file = path.join(ROOT, "node_modules", "electron", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function main(scanned: readonly string[]): number {
  const work = mkdtempSync(path.join(os.tmpdir(), "snapferry-security-"));
  try {
    const input = path.join(work, "input");
    for (const item of scanned) {
      const from = path.join(ROOT, item);
      if (!existsSync(from)) throw new Error(`${item} is missing: nothing to scan`);
      cpSync(from, path.join(input, item), { recursive: true });
    }
    // A fresh file: the tool does not truncate one that exists.
    const report = path.join(work, "report.csv");
    const version = electronVersion();
    const run = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "node_modules", ".bin", "electronegativity"),
        "-i",
        input,
        "-e",
        version,
        "-o",
        report,
        "-r",
      ],
      {
        encoding: "utf8",
        env: { ...process.env, LANG: "en_US.UTF-8", LC_ALL: "en_US.UTF-8", FORCE_COLOR: "0" },
      },
    );
    const output = `${run.stdout}${run.stderr}`;
    if (run.status !== 0 || !existsSync(report)) {
      console.error(output);
      throw new Error(`electronegativity failed (exit ${run.status ?? "by signal"})`);
    }
    const unparsed = output.split("\n").filter((l) => /Error parsing/i.test(l));
    const findings = parseReport(readFileSync(report, "utf8"));
    for (const f of findings) console.log(describeFinding(f));
    const blocking = blockingFindings(findings);
    console.log(
      `electronegativity (Electron ${version}): ${findings.length} findings, ${blocking.length} of high severity, ${unparsed.length} files not parsed`,
    );
    for (const line of unparsed) console.error(line.trim());
    return blocking.length === 0 && unparsed.length === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  const given = process.argv.slice(2);
  process.exitCode = main(given.length > 0 ? given : DEFAULT_SCANNED);
} catch (err) {
  console.error(`security scan: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
