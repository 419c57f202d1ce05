/**
 * The parser of electronegativity's CSV report, on a report the real tool wrote (1.10.3, for a
 * file with contextIsolation off and an http:// URL holding a comma and quotes), and on damaged ones.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blockingFindings, parseCsv, parseReport } from "../../.ci/security/electronegativity-report.js";

const REAL_REPORT =
  [
    "issue, severity, confidence, filename, location, sample, description, url",
    'LIMIT_NAVIGATION_GLOBAL_CHECK,"HIGH","CERTAIN","N/A","0:0",N/A,"Missing navigation limits using .on new-window and will-navigate events",https://github.com/doyensec/electronegativity/wiki/LIMIT_NAVIGATION_GLOBAL_CHECK',
    'NODE_INTEGRATION_JS_CHECK,"INFORMATIONAL","FIRM","bad.js","2:48","const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, webSecurity: false } });","Disable nodeIntegration for untrusted origins",https://github.com/doyensec/electronegativity/wiki/NODE_INTEGRATION_JS_CHECK',
    'HTTP_RESOURCES_JS_CHECK,"MEDIUM","CERTAIN","bad.js","3:0","w.loadURL(""http://example.com/app, \\""quoted\\"""");","Do not allow insecure HTTP connections",https://github.com/doyensec/electronegativity/wiki/HTTP_RESOURCES_JS_CHECK',
    'CONTEXT_ISOLATION_JS_CHECK,"HIGH","FIRM","bad.js","2:71","const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, webSecurity: false } });","Review the use of the contextIsolation option",https://github.com/doyensec/electronegativity/wiki/CONTEXT_ISOLATION_JS_CHECK',
  ].join("\n") + "\n";

describe("electronegativity's report", () => {
  it("reads every finding, quoted commas, doubled quotes and all", () => {
    const findings = parseReport(REAL_REPORT);
    assert.deepEqual(
      findings.map((f) => [f.issue, f.severity, f.file, f.location]),
      [
        ["LIMIT_NAVIGATION_GLOBAL_CHECK", "HIGH", "N/A", "0:0"],
        ["NODE_INTEGRATION_JS_CHECK", "INFORMATIONAL", "bad.js", "2:48"],
        ["HTTP_RESOURCES_JS_CHECK", "MEDIUM", "bad.js", "3:0"],
        ["CONTEXT_ISOLATION_JS_CHECK", "HIGH", "bad.js", "2:71"],
      ],
    );
    assert.equal(findings[2]?.sample, 'w.loadURL("http://example.com/app, \\"quoted\\"");');
  });

  it("fails the scan on the HIGH findings only", () => {
    assert.deepEqual(
      blockingFindings(parseReport(REAL_REPORT)).map((f) => f.issue),
      ["LIMIT_NAVIGATION_GLOBAL_CHECK", "CONTEXT_ISOLATION_JS_CHECK"],
    );
    const header = REAL_REPORT.split("\n")[0] ?? "";
    assert.deepEqual(blockingFindings(parseReport(`${header}\n`)), [], "a clean report blocks nothing");
  });

  it("treats a severity it cannot read as blocking", () => {
    const header = REAL_REPORT.split("\n")[0] ?? "";
    const odd = `${header}\nNEW_CHECK,"CRITICAL","FIRM","a.ts","1:0",N/A,"something new",https://example.invalid\n`;
    assert.deepEqual(
      blockingFindings(parseReport(odd)).map((f) => [f.issue, f.severity]),
      [["NEW_CHECK", "UNKNOWN"]],
    );
  });

  it("refuses a damaged or unexpected report instead of passing it", () => {
    assert.throws(() => parseReport("something else entirely\n"), /unexpected report header/);
    const header = REAL_REPORT.split("\n")[0] ?? "";
    assert.throws(() => parseReport(`${header}\nX,"HIGH","FIRM"\n`), /has 3 fields/);
    assert.throws(() => parseCsv('a,"b\n'), /truncated/);
  });

  it("keeps line breaks inside quoted fields", () => {
    assert.deepEqual(parseCsv('a,"two\nlines",c\r\nd,e,f'), [
      ["a", "two\nlines", "c"],
      ["d", "e", "f"],
    ]);
  });
});
