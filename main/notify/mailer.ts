/**
 * Sends a report through the user's SMTP server with nodemailer. The password comes from the OS
 * keychain at the moment of sending and goes nowhere else: not into an error, not into the log
 * (nodemailer's own protocol trace stays off, and its login lines mask the secret).
 *
 * TLS certificates are always verified; a server with a certificate the system does not trust is
 * an error, never silently accepted. Every failure names the server (host:port) and says what to
 * check, and a server that does not answer fails after the timeout instead of hanging a job.
 */
import { isIP } from "node:net";
import { format } from "node:util";
import nodemailer from "nodemailer";
import { SnapferryError } from "../common/errors.js";
import type { CredentialStore } from "../sources/vsphere/credential-store.js";
import {
  checkSecurity,
  type EmailSettings,
  SMTP_CREDENTIAL_SERVICE,
  smtpCredentialAccount,
} from "./email-settings.js";
import type { EmailReport } from "./job-report.js";

export const DEFAULT_SMTP_TIMEOUT_MS = 20_000;

export interface SendReportOptions {
  /** How long to wait for the connection and for each of the server's answers. */
  timeoutMs?: number;
  /** Progress and server lines, for the run's log; never holds the password. */
  log?: (line: string) => void;
}

export interface SentReport {
  messageId: string;
  accepted: string[];
  /** Recipients the server refused while taking the others; the caller should say so. */
  rejected: string[];
}

export async function sendReport(
  settings: EmailSettings,
  credentials: CredentialStore,
  report: EmailReport,
  options: SendReportOptions = {},
): Promise<SentReport> {
  checkSecurity(settings, "the email settings");
  const log = options.log ?? (() => undefined);
  const server = `${settings.host}:${settings.port}`;
  const pass = settings.user === undefined ? undefined : await smtpPassword(settings, credentials);
  const timeoutMs = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === "tls",
    requireTLS: settings.security === "starttls",
    ignoreTLS: settings.security === "none",
    ...(settings.user !== undefined && pass !== undefined ? { auth: { user: settings.user, pass } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    // A slow server may take a while to accept the data; an idle one is dead well before this.
    socketTimeout: timeoutMs * 3,
    tls: {
      ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}),
      minVersion: "TLSv1.2",
    },
    logger: forwardingLogger(log),
    debug: false,
    transactionLog: false,
  });
  log(`sending "${report.subject}" to ${settings.to.join(", ")} through ${server}`);
  try {
    const info = await transport.sendMail({
      from: settings.from,
      to: settings.to,
      subject: report.subject,
      text: report.text,
      html: report.html,
    });
    const accepted = info.accepted.map(String);
    const rejected = info.rejected.map(String);
    log(`${server} took the report for ${accepted.join(", ") || "nobody"}`);
    if (rejected.length > 0) log(`${server} refused the recipient(s) ${rejected.join(", ")}`);
    return { messageId: info.messageId, accepted, rejected };
  } catch (err) {
    throw smtpError(err, settings, timeoutMs);
  } finally {
    transport.close();
  }
}

/** The SMTP password of `settings.user` from the keychain; an error that says where to put it. */
export async function smtpPassword(settings: EmailSettings, credentials: CredentialStore): Promise<string> {
  const account = smtpCredentialAccount(settings);
  const password = await credentials.get(SMTP_CREDENTIAL_SERVICE, account);
  if (password === undefined || password === "") {
    throw new SnapferryError(
      "config",
      `no SMTP password for ${settings.user ?? ""} on ${settings.host} in the OS keychain`,
      `Enter it again in the email settings (it is kept in the keychain under service "${SMTP_CREDENTIAL_SERVICE}", account "${account}"), or clear the user name if the server needs no login.`,
    );
  }
  return password;
}

interface NodemailerFailure {
  code?: string;
  message: string;
  response?: string;
}

function failure(err: unknown): NodemailerFailure {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = err as Error & { code?: unknown; response?: unknown };
  return {
    message: err.message,
    ...(typeof fields.code === "string" ? { code: fields.code } : {}),
    ...(typeof fields.response === "string" ? { response: fields.response } : {}),
  };
}

/** Turns nodemailer's error codes into messages a user can act on. */
export function smtpError(err: unknown, settings: EmailSettings, timeoutMs: number): SnapferryError {
  const f = failure(err);
  const server = `the SMTP server at ${settings.host}:${settings.port}`;
  const e = (message: string, hint: string): SnapferryError =>
    new SnapferryError("network", message, hint, { cause: err });
  if (f.code === "EAUTH") {
    return e(
      `${server} refused the login of ${settings.user ?? "(no user)"}${f.response ? `: ${f.response}` : ""}`,
      "Check the user name and enter the password again in the email settings; some providers need an app password.",
    );
  }
  if (f.code === "ENOAUTH" || /authentication required|530/i.test(f.response ?? "")) {
    return e(`${server} wants a login`, "Give a user name and password in the email settings.");
  }
  if (/ECONNREFUSED/.test(f.message)) {
    return e(
      `${server} refused the connection (nothing listens there)`,
      "Check the host name and port, and that the mail server is running.",
    );
  }
  if (f.code === "ETIMEDOUT" || /timed? ?out/i.test(f.message)) {
    return e(
      `${server} did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`,
      "Check the host name and port, and that a firewall lets this machine reach it.",
    );
  }
  if (f.code === "EDNS" || /ENOTFOUND|EAI_AGAIN/.test(f.message)) {
    return e(`cannot find ${server}: the name does not resolve`, "Check the host name.");
  }
  if (/STARTTLS/.test(f.message) && settings.security === "starttls") {
    return e(
      `could not set up a secure connection with ${server}: it does not offer STARTTLS (${f.response ?? f.message})`,
      "Check the port and the security setting: TLS is usually port 465, STARTTLS port 587.",
    );
  }
  if (f.code === "ETLS" || /certificate|SSL|TLS/i.test(f.message)) {
    return e(
      `could not set up a secure connection with ${server}: ${f.message}`,
      "Check the security setting (TLS is usually port 465, STARTTLS port 587) and that the server's certificate is valid for this host name.",
    );
  }
  if (f.code === "EENVELOPE") {
    return e(
      `${server} refused the sender or the recipients: ${f.response ?? f.message}`,
      "Check the From and To addresses; many servers only let you send from your own address.",
    );
  }
  return e(
    `sending the report through ${server} failed: ${f.response ?? f.message}`,
    "Check the email settings and try again.",
  );
}

type LogLine = (line: string) => void;

/** A bunyan-style logger for nodemailer that keeps info and above; the trace levels are dropped. */
function forwardingLogger(log: LogLine): Record<string, (...args: unknown[]) => void> {
  const forward =
    (level: string) =>
    (...args: unknown[]): void => {
      // nodemailer calls (data, message, ...printf args); the data object is for machines.
      const [first, ...rest] = args;
      const parts = typeof first === "string" ? args : rest;
      const line = format(...parts);
      if (line) log(level === "info" ? line : `${level}: ${line}`);
    };
  const quiet = (): void => undefined;
  return {
    trace: quiet,
    debug: quiet,
    info: forward("info"),
    warn: forward("warn"),
    error: forward("error"),
    fatal: forward("fatal"),
  };
}
