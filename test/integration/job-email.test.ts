/**
 * A job run reports by email through a real SMTP server on loopback (the password from the
 * keychain), and a report that cannot be sent leaves the job's success alone, with a warning.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository } from "../../main/catalog/rebuild.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import {
  SMTP_CREDENTIAL_SERVICE,
  smtpCredentialAccount,
  type EmailSettings,
} from "../../main/notify/email-settings.js";
import type { AppContext } from "../../main/services/app-context.js";
import { EMAIL_SETTINGS_KEY } from "../../main/services/job-email.js";
import { findJob, saveJob, startJobRun } from "../../main/services/job-service.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import { TEST_PASSWORD, cliOk } from "../support/cli.js";
import { MiB } from "../support/repo-files.js";
import { loopbackEmail, startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";
import { makeTempDir } from "../support/tmp.js";
import { testAppContext } from "../support/job-context.js";

describe("job email reports", () => {
  const tmp = makeTempDir("job-email");
  const catalog = openCatalog(path.join(tmp.dir, "catalog.sqlite"));
  const store = new MemoryCredentialStore();
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "mail01.img");
  let smtp: TestSmtpServer;
  let ctx: AppContext;
  let settings: EmailSettings;

  before(async () => {
    smtp = await startSmtpServer("reports", "smtp secret 42");
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    writeFileSync(image, new SeededBytes("job email").bytes(2 * MiB));
    const source = catalog.sources.add({ kind: "image", name: "mail01", location: image, user: null });
    const r = await openExistingRepository(catalog, { path: repo, password: TEST_PASSWORD });
    ctx = testAppContext(catalog, { credentials: store });
    await ctx.passwords.rememberRepository(r.repository.repositoryId, TEST_PASSWORD, true);
    saveJob(catalog, "nightly", {
      version: 1,
      sourceId: source.id,
      selection: { kind: "source" },
      repositoryId: r.repository.repositoryId,
      schedule: null,
      copies: [],
      concurrency: 1,
      retries: { attempts: 0, backoffSeconds: 1 },
      allowCrashConsistent: false,
    });
    settings = loopbackEmail(smtp.port);
    catalog.settings.set(EMAIL_SETTINGS_KEY, settings);
    await store.set(SMTP_CREDENTIAL_SERVICE, smtpCredentialAccount(settings), "smtp secret 42");
  });
  after(async () => {
    await smtp.close();
    catalog.close();
    tmp.cleanup();
  });

  it("sends one message per run with the job's outcome", async () => {
    const started = startJobRun(ctx, findJob(catalog, "nightly"), { reason: "test" });
    const result = await started.result;
    await ctx.runs.idle();
    assert.equal(result.state, "success");
    assert.equal(smtp.received.length, 1);
    const raw = smtp.received[0]?.raw.toString("utf8") ?? "";
    assert.match(raw, /Subject: \[Snapferry\] nightly: success/);
    assert.match(raw, /mail01/);
    assert.deepEqual(smtp.received[0]?.rcptTo, ["admin@office.example"]);
    const log = catalog.runs.logs(started.runId).map((l) => l.message);
    assert.ok(log.includes("email report sent to admin@office.example"), log.join("\n"));
  });

  it("keeps the job's success when the report cannot be sent, with a warning", async () => {
    await store.set(SMTP_CREDENTIAL_SERVICE, smtpCredentialAccount(settings), "not the password");
    const started = startJobRun(ctx, findJob(catalog, "nightly"), { reason: "test" });
    assert.equal((await started.result).state, "success");
    await ctx.runs.idle();
    assert.equal(catalog.runs.get(started.runId)?.status, "succeeded");
    const warn = catalog.runs.logs(started.runId).find((l) => l.level === "warn");
    assert.match(warn?.message ?? "", /the email report was not sent: .*refused the login of reports/);
    assert.ok(!JSON.stringify(catalog.runs.logs(started.runId)).includes("not the password"));
  });
});
