/**
 * App settings from the UI: email reports (settings in the catalog, the SMTP password in the
 * keychain, a test message on request) and starting Snapferry at login, which only the Electron
 * shell can do (it passes a LoginItem; the browser bridge has none, so the UI hides the option).
 */
import type { ApiInput, SettingsView } from "../../preload/contract.js";
import { SnapferryError } from "../common/errors.js";
import {
  parseEmailSettings,
  SMTP_CREDENTIAL_SERVICE,
  smtpCredentialAccount,
} from "../notify/email-settings.js";
import { sendReport } from "../notify/mailer.js";
import type { AppContext } from "./app-context.js";
import { EMAIL_SETTINGS_KEY, emailSettings, keychainOf } from "./job-email.js";

/** Electron's login item settings, behind an interface so main/ stays plain Node. */
export interface LoginItem {
  get(): boolean;
  set(enabled: boolean): void;
}

export async function settingsView(ctx: AppContext, loginItem: LoginItem | undefined): Promise<SettingsView> {
  const email = emailSettings(ctx.catalog) ?? null;
  const saved = email?.user
    ? await ctx.passwords.stored(SMTP_CREDENTIAL_SERVICE, smtpCredentialAccount(email))
    : undefined;
  return { email, smtpPasswordSaved: saved !== undefined, startAtLogin: loginItem ? loginItem.get() : null };
}

export async function saveEmail(
  ctx: AppContext,
  loginItem: LoginItem | undefined,
  input: ApiInput<"settings.saveEmail">,
): Promise<SettingsView> {
  if (input.email === null) {
    ctx.catalog.settings.remove(EMAIL_SETTINGS_KEY);
    return settingsView(ctx, loginItem);
  }
  const email = parseEmailSettings(input.email, "the email report settings");
  if (input.smtpPassword !== undefined) {
    if (!email.user)
      throw new SnapferryError("usage", "an SMTP password needs an SMTP user name", "Fill in the user.");
    const kept = await ctx.passwords.keep(
      SMTP_CREDENTIAL_SERVICE,
      smtpCredentialAccount(email),
      input.smtpPassword,
      true,
    );
    if (!kept) {
      throw new SnapferryError(
        "keychain-unavailable",
        "the OS keychain cannot keep the SMTP password here",
        "Unlock or set up the keychain (Secret Service on Linux), then save again.",
      );
    }
  }
  ctx.catalog.settings.set(EMAIL_SETTINGS_KEY, email);
  return settingsView(ctx, loginItem);
}

export async function testEmail(ctx: AppContext): Promise<{ sent: true; to: string[] }> {
  const email = emailSettings(ctx.catalog);
  if (!email)
    throw new SnapferryError(
      "config",
      "no email report is set up",
      "Fill in the email settings and save them first.",
    );
  await sendReport(email, keychainOf(ctx.passwords), {
    subject: "[Snapferry] test message",
    text: "This is a test message from Snapferry: job reports will reach you here.\n",
    html: "<p>This is a test message from Snapferry: job reports will reach you here.</p>",
  });
  return { sent: true, to: email.to };
}

export async function setStartAtLogin(
  ctx: AppContext,
  loginItem: LoginItem | undefined,
  input: ApiInput<"settings.setStartAtLogin">,
): Promise<SettingsView> {
  if (!loginItem) {
    throw new SnapferryError(
      "usage",
      "starting at login is set in the desktop app",
      "Open Snapferry's window to change it.",
    );
  }
  loginItem.set(input.enabled);
  return settingsView(ctx, loginItem);
}
