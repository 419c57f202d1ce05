/**
 * Job reports sent for real: nodemailer talks to an smtp-server on loopback that demands a login,
 * and the test reads back what arrived (envelope, headers, both bodies). Also the failures a user
 * meets (a wrong password, nothing listening, a server that hangs, no STARTTLS where it is
 * required, plain SMTP to a remote host) and the daily digest released by a fake clock.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { simpleParser, type AddressObject } from "mailparser";
import { SnapferryError } from "../../main/common/errors.js";
import { DigestQueue } from "../../main/notify/digest.js";
import {
  type EmailSettings,
  parseEmailSettings,
  SMTP_CREDENTIAL_SERVICE,
} from "../../main/notify/email-settings.js";
import { digestReport, type JobRunReport, runReport } from "../../main/notify/job-report.js";
import { sendReport } from "../../main/notify/mailer.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import { requireTool } from "../support/cli.js";
import { FakeClock } from "../support/fake-clock.js";
import { GiB, jobResult, MiB, vmResult } from "../support/job-results.js";
import { makeTempDir } from "../support/tmp.js";
import { closedPort, silentServer, startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";

const USER = "reports";
const PASSWORD = "s3cret-Pässword-4711";

function settings(port: number, extra: Partial<EmailSettings> = {}): EmailSettings {
  return parseEmailSettings({
    enabled: true,
    host: "127.0.0.1",
    port,
    security: "none",
    user: USER,
    from: "snapferry@office.example",
    to: ["admin@office.example", "backup-team@office.example"],
    mode: "per-run",
    ...extra,
  });
}

async function keychain(password = PASSWORD): Promise<MemoryCredentialStore> {
  const store = new MemoryCredentialStore();
  await store.set(SMTP_CREDENTIAL_SERVICE, `${USER}@127.0.0.1`, password);
  return store;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => v.address ?? ""));
}

const nightly: JobRunReport = {
  jobName: "nightly",
  result: jobResult("warning", [
    vmResult("web01", { bytesRead: 3 * GiB, bytesStored: 700 * MiB, kind: "full" }),
    vmResult("<script>&", {
      state: "warning",
      bytesRead: 512 * MiB,
      bytesStored: 20 * MiB,
      messages: ["crash-consistent: VMware Tools is not running"],
    }),
  ]),
  repositorySpace: { usedBytes: 40 * GiB, freeBytes: 160 * GiB },
};

describe("email report through a real SMTP server", () => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer(USER, PASSWORD);
  });
  after(async () => {
    await smtp.close();
  });

  it("delivers a per-run report with every VM, its bytes and the repository space", async () => {
    const log: string[] = [];
    const sent = await sendReport(
      settings(smtp.port),
      await keychain(),
      runReport(nightly, { timeZone: "UTC" }),
      {
        log: (line) => log.push(line),
      },
    );
    assert.deepEqual(sent.accepted, ["admin@office.example", "backup-team@office.example"]);
    assert.deepEqual(sent.rejected, []);
    assert.equal(smtp.received.length, 1);
    const mail = smtp.received[0];
    assert.ok(mail);
    assert.equal(mail.user, USER);
    assert.equal(mail.mailFrom, "snapferry@office.example");
    assert.deepEqual(mail.rcptTo, ["admin@office.example", "backup-team@office.example"]);

    const parsed = await simpleParser(mail.raw);
    assert.equal(parsed.subject, "[Snapferry] nightly: warning (1 of 2 VMs need attention, 3.5 GiB moved)");
    assert.deepEqual(addresses(parsed.to), ["admin@office.example", "backup-team@office.example"]);
    assert.deepEqual(addresses(parsed.from), ["snapferry@office.example"]);
    assert.equal(parsed.messageId, sent.messageId);
    const text = parsed.text ?? "";
    assert.match(text, /^- web01: success \(full\), read 3 GiB, stored 700 MiB, 12 min 3 s$/m);
    assert.match(text, /^- <script>&: warning \(incremental\), read 512 MiB, stored 20 MiB, 12 min 3 s$/m);
    assert.match(text, /crash-consistent: VMware Tools is not running/);
    assert.match(text, /40 GiB used, 160 GiB free/);
    const html = typeof parsed.html === "string" ? parsed.html : "";
    assert.match(html, /<td>&lt;script&gt;&amp;<\/td>/);
    assert.ok(!html.includes("<script>"));

    const everything = log.join("\n");
    assert.match(everything, new RegExp(`through 127\\.0\\.0\\.1:${smtp.port}`));
    for (const secret of [
      PASSWORD,
      Buffer.from(PASSWORD).toString("base64"),
      Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64"),
    ]) {
      assert.ok(!everything.includes(secret), "the password (or its base64) reached the log");
    }
  });

  it("says the server refused the login on a wrong password, without the password", async () => {
    const before = smtp.received.length;
    const err = await sendReport(settings(smtp.port), await keychain("wrong-one"), runReport(nightly)).then(
      () => assert.fail("a wrong password was accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SnapferryError, String(err));
    assert.equal(err.code, "network");
    assert.match(
      err.message,
      new RegExp(`the SMTP server at 127\\.0\\.0\\.1:${smtp.port} refused the login of reports`),
    );
    assert.ok(!`${err.message} ${err.hint ?? ""}`.includes("wrong-one"));
    assert.match(err.hint ?? "", /password/);
    assert.equal(smtp.received.length, before);
    assert.ok(smtp.logins.some((l) => l.user === USER && !l.ok));
  });

  it("says where to put the password when the keychain has none", async () => {
    await assert.rejects(
      sendReport(settings(smtp.port), new MemoryCredentialStore(), runReport(nightly)),
      (e) => {
        assert.ok(e instanceof SnapferryError);
        assert.equal(e.code, "config");
        assert.match(e.message, /no SMTP password for reports on 127\.0\.0\.1/);
        assert.match(e.hint ?? "", /service "snapferry-smtp", account "reports@127\.0\.0\.1"/);
        return true;
      },
    );
  });

  it("refuses to send without STARTTLS when the settings require it", async () => {
    const before = smtp.received.length;
    await assert.rejects(
      sendReport(settings(smtp.port, { security: "starttls" }), await keychain(), runReport(nightly)),
      (e) => {
        assert.ok(e instanceof SnapferryError);
        assert.match(
          e.message,
          new RegExp(`secure connection with the SMTP server at 127\\.0\\.0\\.1:${smtp.port}`),
        );
        return true;
      },
    );
    assert.equal(smtp.received.length, before);
  });

  it("sends a day's queued runs as one digest after the digest time, and none before", async () => {
    const clock = new FakeClock(new Date("2026-11-27T09:00:00Z"));
    const queue = new DigestQueue<JobRunReport>({ clock, digestTime: "07:00", timeZone: "UTC" });
    const mailSettings = settings(smtp.port, { mode: "daily-digest", digestTime: "07:00" });
    const store = await keychain();
    const send = async (runs: JobRunReport[]): Promise<void> => {
      await sendReport(mailSettings, store, digestReport(runs, { timeZone: "UTC" }));
    };
    const before = smtp.received.length;
    queue.add(nightly);
    clock.advance(12 * 3600_000);
    queue.add({ jobName: "evening", result: jobResult("success", [vmResult("db01")]) });
    assert.equal(queue.dueAt()?.toISOString(), "2026-11-28T07:00:00.000Z");

    clock.advance(9 * 3600_000 + 59 * 60_000); // 06:59 the next day
    assert.equal(await queue.flushIfDue(send), 0);
    assert.equal(smtp.received.length, before, "a digest went out before its time");

    clock.advance(60_000);
    assert.equal(await queue.flushIfDue(send), 2);
    assert.equal(smtp.received.length, before + 1);
    assert.deepEqual(queue.pending(), []);
    const mail = smtp.received.at(-1);
    assert.ok(mail);
    const parsed = await simpleParser(mail.raw);
    assert.match(parsed.subject ?? "", /^\[Snapferry\] daily digest 2026-11-27: 2 runs, 1 with warnings/);
    assert.match(parsed.text ?? "", /Job "nightly": warning/);
    assert.match(parsed.text ?? "", /Job "evening": success/);
    assert.equal(await queue.flushIfDue(send), 0, "an empty queue sent again");
  });
});

describe("email report failures without a working server", () => {
  it("names host and port when nothing listens, well before the timeout", async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(sendReport(settings(port), await keychain(), runReport(nightly)), (e) => {
      assert.ok(e instanceof SnapferryError);
      assert.equal(e.code, "network");
      assert.match(
        e.message,
        new RegExp(`the SMTP server at 127\\.0\\.0\\.1:${port} refused the connection`),
      );
      return true;
    });
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it("gives up on a server that never answers after the timeout", async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      await assert.rejects(
        sendReport(settings(silent.port), await keychain(), runReport(nightly), { timeoutMs: 500 }),
        (e) => {
          assert.ok(e instanceof SnapferryError);
          assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${silent.port} did not answer within 500 ms`));
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      await silent.close();
    }
  });

  it("refuses unencrypted SMTP to a host that is not this machine", async () => {
    const remote = { host: "mail.office.example", port: 25, security: "none" } as const;
    assert.throws(
      () => settings(25, remote),
      (e) =>
        e instanceof SnapferryError &&
        e.code === "config" &&
        /mail\.office\.example:25 without encryption/.test(e.message) &&
        /STARTTLS/.test(e.hint ?? ""),
    );
    // The mailer checks again, for settings that did not come through the parser.
    const unchecked = { ...settings(25), host: "mail.office.example" };
    await assert.rejects(sendReport(unchecked, await keychain(), runReport(nightly)), /without encryption/);
    for (const host of ["localhost", "::1", "127.0.0.1"]) assert.doesNotThrow(() => settings(25, { host }));
  });

  it("verifies the server's TLS certificate and refuses a self-signed one", async () => {
    requireTool("openssl", "openssl");
    const tmp = makeTempDir("smtp-tls");
    const key = path.join(tmp.dir, "key.pem");
    const cert = path.join(tmp.dir, "cert.pem");
    const made = spawnSync("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
    ]);
    assert.equal(made.status, 0, made.stderr.toString());
    const tlsSmtp = await startSmtpServer(USER, PASSWORD, {
      key: readFileSync(key),
      cert: readFileSync(cert),
    });
    try {
      const store = new MemoryCredentialStore();
      await store.set(SMTP_CREDENTIAL_SERVICE, `${USER}@localhost`, PASSWORD);
      const tlsSettings = settings(tlsSmtp.port, { host: "localhost", security: "tls" });
      await assert.rejects(sendReport(tlsSettings, store, runReport(nightly)), (e) => {
        assert.ok(e instanceof SnapferryError);
        assert.match(
          e.message,
          new RegExp(`secure connection with the SMTP server at localhost:${tlsSmtp.port}`),
        );
        assert.match(e.message, /self[- ]signed/i);
        return true;
      });
      assert.equal(tlsSmtp.logins.length, 0, "the password was offered to an untrusted server");
      assert.equal(tlsSmtp.received.length, 0);
    } finally {
      await tlsSmtp.close();
      tmp.cleanup();
    }
  });

  it("asks for a digest time in daily-digest mode", () => {
    assert.throws(() => settings(25, { mode: "daily-digest" }), /daily digest but give no time/);
  });

  it("keeps queued runs when the digest cannot be sent", async () => {
    const port = await closedPort();
    const clock = new FakeClock(new Date("2026-11-27T09:00:00Z"));
    const queue = new DigestQueue<JobRunReport>({ clock, digestTime: "07:00", timeZone: "UTC" });
    queue.add(nightly);
    clock.advance(24 * 3600_000);
    const send = async (runs: JobRunReport[]): Promise<void> => {
      await sendReport(settings(port), await keychain(), digestReport(runs));
    };
    await assert.rejects(queue.flushIfDue(send), /refused the connection/);
    assert.equal(queue.pending().length, 1);
    assert.equal(queue.isDue(), true);
    // What a caller persisted comes back after a restart, still due.
    const restored = new DigestQueue<JobRunReport>(
      { clock, digestTime: "07:00", timeZone: "UTC" },
      JSON.parse(JSON.stringify(queue.pending())) as ReturnType<typeof queue.pending>,
    );
    assert.equal(restored.dueAt()?.toISOString(), "2026-11-28T07:00:00.000Z");
    assert.equal(restored.pending()[0]?.item.jobName, "nightly");
  });
});
