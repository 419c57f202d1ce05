/**
 * The security gate: electronegativity's findings as its runner returns them, and the real scan
 * (dist/.ci/security/scan.js) run over a file that must fail it and over the app that must pass.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { blockingFindings, findingsFrom, parseErrors } from "../../.ci/security/electronegativity-report.js";
import { makeTempDir } from "../support/tmp.js";

const SCAN = fileURLToPath(new URL("../../.ci/security/scan.js", import.meta.url));

function scan(...paths: string[]): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, [SCAN, ...paths], { encoding: "utf8" });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const issue = (id: string, severity: string) => ({
  id,
  severity: { name: severity },
  confidence: { name: "FIRM" },
  file: "bad.js",
  location: { line: 2, column: 48 },
  sample: "new BrowserWindow(...)",
  description: "something",
});

describe("electronegativity's findings", () => {
  const tmp = makeTempDir("security-scan");
  after(() => tmp.cleanup());

  it("reads each finding's id, severity, file and place", () => {
    const findings = findingsFrom({
      issues: [
        issue("NODE_INTEGRATION_JS_CHECK", "INFORMATIONAL"),
        issue("CONTEXT_ISOLATION_JS_CHECK", "HIGH"),
      ],
    });
    assert.deepEqual(
      findings.map((f) => [f.issue, f.severity, f.file, f.location]),
      [
        ["NODE_INTEGRATION_JS_CHECK", "INFORMATIONAL", "bad.js", "2:48"],
        ["CONTEXT_ISOLATION_JS_CHECK", "HIGH", "bad.js", "2:48"],
      ],
    );
  });

  it("fails the scan on the HIGH findings only, and on a severity it cannot read", () => {
    const findings = findingsFrom({
      issues: [issue("A", "HIGH"), issue("B", "MEDIUM"), issue("C", "LOW"), issue("D", "CRITICAL")],
    });
    assert.deepEqual(
      blockingFindings(findings).map((f) => [f.issue, f.severity]),
      [
        ["A", "HIGH"],
        ["D", "UNKNOWN"],
      ],
    );
    assert.deepEqual(blockingFindings(findingsFrom({ issues: [] })), [], "no findings block nothing");
  });

  it("refuses a result it does not understand, and lists files the tool could not parse", () => {
    assert.throws(() => findingsFrom({}), /no list of issues/);
    assert.deepEqual(parseErrors({ errors: [{ file: "x.ts", message: "Unexpected token" }] }), [
      "x.ts: Unexpected token",
    ]);
  });

  it("fails the real scan over a window without context isolation, and passes the app", () => {
    const bad = path.join(tmp.dir, "bad.js");
    writeFileSync(
      bad,
      [
        'const { BrowserWindow } = require("electron");',
        "const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } });",
        'w.loadURL("http://example.com/");',
      ].join("\n"),
    );
    const failed = scan(bad);
    assert.equal(failed.code, 1, failed.output);
    assert.match(failed.output, /HIGH CONTEXT_ISOLATION_JS_CHECK/);
    const app = scan();
    assert.equal(app.code, 0, app.output);
    assert.match(app.output, /0 of high severity, 0 files not parsed/);
  });
});
