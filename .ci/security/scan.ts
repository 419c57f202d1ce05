/**
 * `npm run security`: electronegativity over the Electron shell (main/app), the preload script and
 * the renderer's index.html, scanned together (its global checks, navigation limits and the CSP,
 * look across files), for the Electron version in package.json. Fails on any HIGH finding and on
 * any file it could not parse; prints every finding. Paths given as arguments (relative to the
 * project) are scanned instead, to try the gate on other code.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  blockingFindings,
  describeFinding,
  findingsFrom,
  parseErrors,
  type RunnerResult,
} from "./electronegativity-report.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DEFAULT_SCANNED = ["main/app", "preload/index.ts", "renderer/index.html"];

/** The options of electronegativity's runner that the CLI would fill in from its flags. */
interface RunnerOptions {
  input: string;
  isSarif: boolean;
  customScan: string[];
  excludeFromScan: string[];
  isRelative: boolean;
  isVerbose: boolean;
  electronVersionOverride: string;
  parserPlugins: string[];
}

type Runner = (options: RunnerOptions, forCli: boolean) => Promise<RunnerResult>;

function electronVersion(): string {
  const file = path.join(ROOT, "node_modules", "electron", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

async function main(scanned: readonly string[]): Promise<number> {
  const work = mkdtempSync(path.join(os.tmpdir(), "snapferry-security-"));
  try {
    const input = path.join(work, "input");
    for (const item of scanned) {
      const from = path.resolve(ROOT, item);
      if (!existsSync(from)) throw new Error(`${item} is missing: nothing to scan`);
      cpSync(from, path.join(input, path.relative(ROOT, from)), { recursive: true });
    }
    const version = electronVersion();
    // The runner, not the CLI: the CLI's CSV report is written racily (electronegativity-report.ts).
    const run = createRequire(import.meta.url)("@doyensec/electronegativity/dist/runner.js") as Runner;
    const result = await run(
      {
        input,
        isSarif: false,
        customScan: [],
        excludeFromScan: [],
        isRelative: true,
        isVerbose: false,
        electronVersionOverride: version,
        parserPlugins: [],
      },
      false,
    );
    const findings = findingsFrom(result);
    const unparsed = parseErrors(result);
    for (const f of findings) console.log(describeFinding(f));
    const blocking = blockingFindings(findings);
    console.log(
      `electronegativity (Electron ${version}): ${findings.length} findings, ${blocking.length} of high severity, ${unparsed.length} files not parsed`,
    );
    for (const line of unparsed) console.error(`not parsed: ${line}`);
    return blocking.length === 0 && unparsed.length === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  const given = process.argv.slice(2);
  process.exitCode = await main(given.length > 0 ? given : DEFAULT_SCANNED);
} catch (err) {
  console.error(`security scan: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
