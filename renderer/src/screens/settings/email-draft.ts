/** The email form's fields as typed, and the EmailSettings they make (main validates them again). */
import type { EmailSettings } from "../../../../main/notify/email-settings";

export interface EmailDraft {
  enabled: boolean;
  host: string;
  port: string;
  security: EmailSettings["security"];
  user: string;
  from: string;
  /** Comma-separated, as people type a list of addresses. */
  to: string;
  mode: EmailSettings["mode"];
  digestTime: string;
}

export const DEFAULT_PORTS: Record<EmailSettings["security"], number> = { starttls: 587, tls: 465, none: 25 };

export function emailDraftOf(settings: EmailSettings | null): EmailDraft {
  if (!settings) {
    return {
      enabled: true,
      host: "",
      port: "587",
      security: "starttls",
      user: "",
      from: "",
      to: "",
      mode: "per-run",
      digestTime: "07:00",
    };
  }
  return {
    enabled: settings.enabled,
    host: settings.host,
    port: String(settings.port),
    security: settings.security,
    user: settings.user ?? "",
    from: settings.from,
    to: settings.to.join(", "),
    mode: settings.mode,
    digestTime: settings.digestTime ?? "07:00",
  };
}

export type EmailResult = { ok: true; settings: EmailSettings } | { ok: false; problem: string };

export function emailSettingsOf(draft: EmailDraft): EmailResult {
  const host = draft.host.trim();
  if (!host) return { ok: false, problem: "Give the SMTP server." };
  const port = Number(draft.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { ok: false, problem: "Give a port from 1 to 65535." };
  const to = draft.to
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  if (!draft.from.trim()) return { ok: false, problem: "Give the sender address." };
  if (to.length === 0) return { ok: false, problem: "Give at least one recipient." };
  const user = draft.user.trim();
  return {
    ok: true,
    settings: {
      enabled: draft.enabled,
      host,
      port,
      security: draft.security,
      ...(user ? { user } : {}),
      from: draft.from.trim(),
      to,
      mode: draft.mode,
      ...(draft.mode === "daily-digest" ? { digestTime: draft.digestTime } : {}),
    },
  };
}
