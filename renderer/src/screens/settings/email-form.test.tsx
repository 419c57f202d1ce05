import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { EmailSettings } from "../../../../main/notify/email-settings";
import type { SettingsView } from "../../../../preload/contract";
import { setApi } from "../../api/current";
import { useSettingsStore } from "../../stores/settings-store";
import { FakeApi, ok } from "../../test/fake-api";
import { EmailForm } from "./email-form";
import { StartAtLogin } from "./start-at-login";

async function setup(view: SettingsView) {
  let current = view;
  const api = new FakeApi({
    "settings.get": () => ok(current),
    "settings.saveEmail": (input) => {
      current = { ...current, email: input.email as EmailSettings | null, smtpPasswordSaved: true };
      return ok(current);
    },
    "settings.testEmail": () => ok({ sent: true as const, to: ["admin@example.com"] }),
    "settings.setStartAtLogin": (input) => {
      current = { ...current, startAtLogin: input.enabled };
      return ok(current);
    },
  });
  setApi(api);
  await act(async () => {
    await useSettingsStore.getState().load();
    render(
      <>
        <StartAtLogin />
        <EmailForm />
      </>,
    );
  });
  return api;
}

describe("the email reports form", () => {
  it("saves the settings with the password once, then says it is in the keychain; sends a test", async () => {
    const api = await setup({ email: null, smtpPasswordSaved: false, startAtLogin: false });
    const form = screen.getByRole("form", { name: "Email reports" });
    const type = (label: string, value: string) =>
      fireEvent.change(within(form).getByLabelText(label), { target: { value } });
    type("SMTP server", "smtp.example.com");
    fireEvent.change(within(form).getByLabelText("Security"), { target: { value: "tls" } });
    expect((within(form).getByLabelText("Port") as HTMLInputElement).value).toBe("465");
    type("User", "backup");
    type("SMTP password", "s3cret");
    type("From", "snapferry@example.com");
    type("To", "admin@example.com, ops@example.com");
    fireEvent.click(within(form).getByRole("radio", { name: /daily digest/ }));
    type("Digest time", "07:30");
    await act(async () => {
      fireEvent.click(within(form).getByRole("button", { name: "Save email settings" }));
    });
    expect(api.callsTo("settings.saveEmail")).toEqual([
      {
        email: {
          enabled: true,
          host: "smtp.example.com",
          port: 465,
          security: "tls",
          user: "backup",
          from: "snapferry@example.com",
          to: ["admin@example.com", "ops@example.com"],
          mode: "daily-digest",
          digestTime: "07:30",
        },
        smtpPassword: "s3cret",
      },
    ]);
    expect((within(form).getByLabelText("SMTP password") as HTMLInputElement).value).toBe("");
    expect(within(form).getByText(/Saved in the keychain/)).toBeTruthy();

    await act(async () => {
      fireEvent.click(within(form).getByRole("button", { name: "Send a test email" }));
    });
    expect(within(form).getByText("Sent to admin@example.com.")).toBeTruthy();
  });

  it("turns start at login on, and explains why it cannot where main says null", async () => {
    const api = await setup({ email: null, smtpPasswordSaved: false, startAtLogin: false });
    await act(async () => {
      fireEvent.click(screen.getByRole("checkbox", { name: /Start Snapferry at login/ }));
    });
    expect(api.callsTo("settings.setStartAtLogin")).toEqual([{ enabled: true }]);
    expect(
      (screen.getByRole("checkbox", { name: /Start Snapferry at login/ }) as HTMLInputElement).checked,
    ).toBe(true);
  });

  it("hides start at login over the bridge", async () => {
    await setup({ email: null, smtpPasswordSaved: false, startAtLogin: null });
    expect(screen.queryByRole("checkbox", { name: /Start Snapferry at login/ })).toBeNull();
    expect(screen.getByText(/cannot be/)).toBeTruthy();
  });
});
