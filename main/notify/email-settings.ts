/**
 * Where and how job reports are emailed. Stored in the catalog like a job's settings, so it never
 * holds a secret: the SMTP password lives in the OS keychain under service "snapferry-smtp",
 * account `${user}@${host}`.
 */
import * as v from "valibot";
import { SnapferryError } from "../common/errors.js";

export const SMTP_CREDENTIAL_SERVICE = "snapferry-smtp";

const host = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(253),
  v.regex(/^[A-Za-z0-9.:\-[\]]+$/, "a host name or an IP address"),
);
const address = v.pipe(v.string(), v.trim(), v.email("an email address"), v.maxLength(320));
const time = v.pipe(v.string(), v.regex(/^([01]?\d|2[0-3]):[0-5]\d$/, "a time of day as HH:MM"));

export const emailSettingsSchema = v.object({
  enabled: v.boolean(),
  host,
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  /** "tls": TLS from the first byte (465); "starttls": upgrade required (587); "none": loopback only. */
  security: v.picklist(["starttls", "tls", "none"] as const),
  /** Absent when the server takes mail without a login (a local relay). */
  user: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(320))),
  from: address,
  to: v.pipe(v.array(address), v.minLength(1, "at least one recipient"), v.maxLength(50)),
  mode: v.picklist(["per-run", "daily-digest"] as const),
  /** When the daily digest goes out (local time); required for "daily-digest". */
  digestTime: v.optional(time),
});

export type EmailSettings = v.InferOutput<typeof emailSettingsSchema>;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopbackHost(name: string): boolean {
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

/** The keychain account that holds the SMTP password of `settings.user` on `settings.host`. */
export function smtpCredentialAccount(settings: Pick<EmailSettings, "user" | "host">): string {
  return `${settings.user ?? ""}@${settings.host}`;
}

/** Validates settings from the catalog, an import or the UI; `what` names them in errors. */
export function parseEmailSettings(value: unknown, what = "the email settings"): EmailSettings {
  const parsed = v.safeParse(emailSettingsSchema, value);
  if (!parsed.success) {
    const fields = parsed.issues.slice(0, 4).map((i) => `${v.getDotPath(i) ?? "settings"}: ${i.message}`);
    throw new SnapferryError("config", `${what} are not valid: ${fields.join("; ")}`);
  }
  const settings = parsed.output;
  checkSecurity(settings, what);
  if (settings.mode === "daily-digest" && settings.digestTime === undefined) {
    throw new SnapferryError(
      "config",
      `${what} ask for a daily digest but give no time for it`,
      "Set the digest time (HH:MM), or send one message per run.",
    );
  }
  return settings;
}

/**
 * Plain SMTP sends the password and the reports in clear text, which is only acceptable when the
 * server is on this machine (a local relay that does TLS onward).
 */
export function checkSecurity(
  settings: Pick<EmailSettings, "security" | "host" | "port">,
  what: string,
): void {
  if (settings.security === "none" && !isLoopbackHost(settings.host)) {
    throw new SnapferryError(
      "config",
      `${what} send mail to ${settings.host}:${settings.port} without encryption`,
      "Choose STARTTLS (usually port 587) or TLS (usually port 465); unencrypted SMTP is only allowed to a relay on this machine (localhost, 127.0.0.1 or ::1).",
    );
  }
}
