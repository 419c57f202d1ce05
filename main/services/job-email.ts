/**
 * After a job run: the email report, when the user set one up (settings in the catalog under
 * "email", the SMTP password in the keychain). Per run, or queued for the daily digest, whose
 * waiting reports are kept in the catalog ("email.digest") so a restart loses none. A report that
 * cannot be sent never fails the job: it is a warning in the run's log.
 */
import type { Catalog } from "../catalog/catalog-api.js";
import type { JobResult } from "../jobs/job-runner.js";
import type { Clock } from "../jobs/clock.js";
import { DigestQueue, type QueuedItem } from "../notify/digest.js";
import { parseEmailSettings, type EmailSettings } from "../notify/email-settings.js";
import { digestReport, runReport, type JobRunReport } from "../notify/job-report.js";
import { sendReport } from "../notify/mailer.js";
import type { CredentialStore } from "../sources/vsphere/credential-store.js";
import type { AppPasswords } from "./app-passwords.js";

export const EMAIL_SETTINGS_KEY = "email";
const DIGEST_KEY = "email.digest";

export function emailSettings(catalog: Catalog): EmailSettings | undefined {
  const value = catalog.settings.get(EMAIL_SETTINGS_KEY);
  return value === undefined ? undefined : parseEmailSettings(value, "the email report settings");
}

function digestQueue(catalog: Catalog, settings: EmailSettings, clock: Clock): DigestQueue<JobRunReport> {
  const stored = catalog.settings.get(DIGEST_KEY);
  const restore = Array.isArray(stored) ? (stored as QueuedItem<JobRunReport>[]) : [];
  return new DigestQueue<JobRunReport>(
    {
      clock,
      digestTime: settings.digestTime ?? "07:00",
    },
    restore,
  );
}

/** Sends (or queues) the report of one run; returns what to write in the run's log. */
export async function reportJobRun(
  catalog: Catalog,
  credentials: CredentialStore,
  jobName: string,
  result: JobResult,
  clock: Clock,
): Promise<string | null> {
  const settings = emailSettings(catalog);
  if (!settings?.enabled) return null;
  const report: JobRunReport = { jobName, result };
  if (settings.mode === "per-run") {
    await sendReport(settings, credentials, runReport(report));
    return `email report sent to ${settings.to.join(", ")}`;
  }
  const queue = digestQueue(catalog, settings, clock);
  queue.add(report);
  catalog.settings.set(DIGEST_KEY, queue.pending());
  const sent = await flushDigest(catalog, credentials, clock);
  return sent > 0
    ? `daily digest sent to ${settings.to.join(", ")}`
    : `report queued for the daily digest at ${settings.digestTime ?? ""}`;
}

/** Sends the digest when its time has come (the app calls this on a timer, too). */
export async function flushDigest(
  catalog: Catalog,
  credentials: CredentialStore,
  clock: Clock,
): Promise<number> {
  const settings = emailSettings(catalog);
  if (!settings?.enabled || settings.mode !== "daily-digest") return 0;
  const queue = digestQueue(catalog, settings, clock);
  const sent = await queue.flushIfDue(async (runs) => {
    await sendReport(settings, credentials, digestReport(runs));
  });
  catalog.settings.set(DIGEST_KEY, queue.pending());
  return sent;
}

/** The keychain as the mailer reads it, through the app's passwords (which log an unusable keychain). */
export function keychainOf(passwords: AppPasswords): CredentialStore {
  return {
    get: (service, account) => passwords.stored(service, account),
    set: async (service, account, secret) => {
      await passwords.keep(service, account, secret, true);
    },
    delete: async (service, account) => {
      await passwords.drop(service, account);
      return true;
    },
  };
}
