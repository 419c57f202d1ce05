/**
 * What a job report says: the subject for each outcome, every VM with its bytes and duration,
 * follow-ups and repository space in both bodies, HTML that escapes names from outside, and a
 * digest that groups a day's runs. Sending is tested against a real SMTP server in
 * test/integration/email-report.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestReport, runReport } from "../../main/notify/job-report.js";
import { escapeHtml, formatBytes, formatDuration } from "../../main/notify/report-format.js";
import { GiB, jobResult, MiB, vmResult } from "../support/job-results.js";

const UTC = { timeZone: "UTC" };
const tenthsOfGiB = (n: number): number => Math.round((n * GiB) / 10);

describe("job report subject", () => {
  it("says success with the VM count and the data moved", () => {
    const vms = ["web01", "web02", "db01"].map((n) => vmResult(n, { bytesRead: tenthsOfGiB(4) }));
    const report = runReport({ jobName: "nightly", result: jobResult("success", vms) }, UTC);
    assert.equal(report.subject, "[Snapferry] nightly: success (3 VMs, 1.2 GiB moved)");
  });

  it("says warning and how many VMs need attention", () => {
    const vms = [
      vmResult("web01"),
      vmResult("web02", { state: "warning", messages: ["crash-consistent: VMware Tools not running"] }),
    ];
    const report = runReport({ jobName: "nightly", result: jobResult("warning", vms) }, UTC);
    assert.equal(report.subject, "[Snapferry] nightly: warning (1 of 2 VMs need attention, 2 GiB moved)");
  });

  it("says warning when only a follow-up failed", () => {
    const result = jobResult("warning", [vmResult("web01")], {
      followUps: [{ step: "copy to usb", ok: false, message: "the USB disk is not plugged in" }],
    });
    const report = runReport({ jobName: "nightly", result }, UTC);
    assert.equal(report.subject, "[Snapferry] nightly: warning (a follow-up step failed, 1 GiB moved)");
  });

  it("says FAILED in capitals with how many VMs failed", () => {
    const vms = [
      vmResult("web01"),
      vmResult("web02"),
      vmResult("db01", { state: "failed", bytesRead: 0, bytesStored: 0, messages: ["host unreachable"] }),
    ];
    const report = runReport({ jobName: "nightly", result: jobResult("failed", vms) }, UTC);
    assert.equal(report.subject, "[Snapferry] nightly: FAILED (1 of 3 VMs failed, 2 GiB moved)");
  });

  it("says FAILED when every VM was skipped", () => {
    const vms = [vmResult("web01", { state: "skipped", bytesRead: 0, bytesStored: 0, startedAt: null })];
    const report = runReport({ jobName: "nightly", result: jobResult("failed", vms) }, UTC);
    assert.equal(report.subject, "[Snapferry] nightly: FAILED (no VM was backed up, 0 bytes moved)");
  });

  it("keeps a job name with a newline on one line", () => {
    const report = runReport({ jobName: "night\r\nBcc: x@evil.test", result: jobResult("success", []) }, UTC);
    assert.ok(!/[\r\n]/.test(report.subject), report.subject);
    assert.match(report.subject, /^\[Snapferry\] night Bcc: x@evil\.test: success/);
  });
});

describe("job report body", () => {
  const result = jobResult(
    "failed",
    [
      vmResult("web01", { bytesRead: 3 * GiB, bytesStored: 512 * MiB, kind: "full" }),
      vmResult("db01", {
        state: "failed",
        attempts: 3,
        bytesRead: 0,
        bytesStored: 0,
        messages: ["the host esx1 did not answer"],
        finishedAt: "2026-11-27T22:02:00.000Z",
      }),
      vmResult("mail", {
        state: "skipped",
        kind: null,
        attempts: 0,
        bytesRead: 0,
        bytesStored: 0,
        startedAt: null,
        finishedAt: null,
      }),
    ],
    {
      followUps: [
        { step: "retention", ok: true, message: "2 restore point(s) removed" },
        { step: "copy to usb", ok: false, message: "the USB disk is full" },
      ],
      stoppedByWindow: true,
    },
  );
  const run = { jobName: "nightly", result, repositorySpace: { usedBytes: 20 * GiB, freeBytes: 80 * GiB } };

  it("lists each VM's state, kind, bytes, duration and messages in the text", () => {
    const { text } = runReport(run, UTC);
    assert.match(text, /^- web01: success \(full\), read 3 GiB, stored 512 MiB, 12 min 3 s$/m);
    assert.match(
      text,
      /^- db01: FAILED \(incremental\) after 3 attempts, read 0 bytes, stored 0 bytes, 2 min 0 s$/m,
    );
    assert.match(text, /^ {4}the host esx1 did not answer$/m);
    assert.match(text, /^- mail: skipped, read 0 bytes, stored 0 bytes, not started$/m);
    assert.match(text, /Started 2026-11-27 22:00 UTC, finished 2026-11-27 22:40 UTC \(40 min 0 s\)\./);
    assert.match(text, /3 VMs: 1 success, 1 FAILED, 1 skipped\. Read 3 GiB, stored 512 MiB\./);
    assert.match(text, /backup window ended/);
  });

  it("lists the follow-ups and the repository space", () => {
    const { text, html } = runReport(run, UTC);
    assert.match(text, /^- retention: done, 2 restore point\(s\) removed$/m);
    assert.match(text, /^- copy to usb: FAILED, the USB disk is full$/m);
    assert.match(text, /^20 GiB used, 80 GiB free \(80% of the disk free\)$/m);
    assert.match(html, /20 GiB used, 80 GiB free/);
    assert.match(html, /copy to usb: <b[^>]*>FAILED<\/b>, the USB disk is full/);
  });

  it("shows every VM in the HTML table", () => {
    const { html } = runReport(run, UTC);
    for (const name of ["web01", "db01", "mail"]) assert.match(html, new RegExp(`<td>${name}</td>`));
    assert.match(
      html,
      /<td align=right>3 GiB<\/td><td align=right>512 MiB<\/td><td align=right>12 min 3 s<\/td>/,
    );
  });

  it("escapes names and messages in the HTML", () => {
    const vms = [
      vmResult("<script>&", { state: "warning", messages: ["quiesce failed: <b>\"busy\"</b> & 'retry'"] }),
    ];
    const { html, text } = runReport({ jobName: "a<b>&c", result: jobResult("warning", vms) }, UTC);
    assert.ok(!html.includes("<script>"), "a raw <script> tag reached the HTML");
    assert.ok(!html.includes('<b>"'), "a raw <b> from a message reached the HTML");
    assert.match(html, /<td>&lt;script&gt;&amp;<\/td>/);
    assert.match(html, /quiesce failed: &lt;b&gt;&quot;busy&quot;&lt;\/b&gt; &amp; &#39;retry&#39;/);
    assert.match(html, /Job &ldquo;a&lt;b&gt;&amp;c&rdquo;/);
    // The text body is not HTML: names stay as they are.
    assert.match(text, /^- <script>&: warning/m);
  });
});

describe("digest report", () => {
  it("groups a day's runs in one message, oldest first", () => {
    const early = jobResult("success", [vmResult("web01")], {
      startedAt: "2026-11-27T01:00:00.000Z",
      finishedAt: "2026-11-27T01:10:00.000Z",
    });
    const late = jobResult("failed", [vmResult("db01", { state: "failed", bytesRead: 0, bytesStored: 0 })], {
      startedAt: "2026-11-27T22:00:00.000Z",
    });
    const report = digestReport(
      [
        { jobName: "evening", result: late },
        { jobName: "morning", result: early, repositorySpace: { usedBytes: GiB, freeBytes: GiB } },
      ],
      UTC,
    );
    assert.equal(report.subject, "[Snapferry] daily digest 2026-11-27: 2 runs, 1 FAILED (1 GiB moved)");
    const morning = report.text.indexOf('Job "morning": success');
    const evening = report.text.indexOf('Job "evening": FAILED');
    assert.ok(morning > 0 && evening > morning, report.text);
    assert.match(report.text, /^- web01: success/m);
    assert.match(report.text, /^- db01: FAILED/m);
    assert.match(report.html, /<h2>Job &ldquo;morning&rdquo;/);
    assert.match(report.html, /<h2>Job &ldquo;evening&rdquo;/);
  });

  it("says all succeeded when nothing needs attention", () => {
    const report = digestReport([{ jobName: "nightly", result: jobResult("success", [vmResult("a")]) }], UTC);
    assert.equal(report.subject, "[Snapferry] daily digest 2026-11-27: 1 run, all succeeded (1 GiB moved)");
  });
});

describe("report formatting", () => {
  it("writes bytes in binary units", () => {
    assert.equal(formatBytes(0), "0 bytes");
    assert.equal(formatBytes(1023), "1023 bytes");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(300 * MiB), "300 MiB");
    assert.equal(formatBytes(tenthsOfGiB(12)), "1.2 GiB");
    assert.equal(formatBytes(5 * 1024 * GiB), "5 TiB");
  });

  it("writes durations", () => {
    assert.equal(formatDuration(45_000), "45 s");
    assert.equal(formatDuration(723_000), "12 min 3 s");
    assert.equal(formatDuration(2 * 3600_000 + 5 * 60_000), "2 h 5 min");
  });

  it("escapes every HTML-special character", () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
