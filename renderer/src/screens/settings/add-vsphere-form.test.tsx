import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ApiError } from "../../../../preload/contract";
import { setApi } from "../../api/current";
import { useSourcesStore } from "../../stores/sources-store";
import { FakeApi, ok } from "../../test/fake-api";
import { vmDetails, vsphereInventory, vsphereSource } from "../../test/fixtures";
import { AddVsphereForm } from "./add-vsphere-form";

const THUMBPRINT =
  "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

const unknownCertificate: ApiError = {
  code: "tls-unknown-certificate",
  message: `the certificate of vcenter.lab is not trusted yet; its SHA-256 thumbprint is ${THUMBPRINT}`,
  details: {
    server: "vcenter.lab:443",
    thumbprint: THUMBPRINT,
    subject: "CN=vcenter.lab",
    issuer: "CN=CA, O=VMware",
  },
};

function fakeServer(firstError: ApiError) {
  return new FakeApi({
    "sources.addVsphere": (input) =>
      input.acceptThumbprint === THUMBPRINT ? ok(vsphereSource) : { ok: false, error: firstError },
    "sources.inventory": () => ok(vsphereInventory([vmDetails("db01")])),
    "sources.probeCertificate": () =>
      ok({
        server: "vcenter.lab:443",
        thumbprint: THUMBPRINT,
        subject: "CN=vcenter.lab",
        issuer: "CN=CA",
        validFrom: "2025-01-01T00:00:00.000Z",
        validTo: "2027-01-01T00:00:00.000Z",
        known: null,
      }),
  });
}

async function connect(onDone: () => void) {
  render(<AddVsphereForm onDone={onDone} />);
  fireEvent.change(screen.getByLabelText("Server"), { target: { value: "vcenter.lab" } });
  fireEvent.change(screen.getByLabelText("User"), { target: { value: "backup@vsphere.local" } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: "s3cret" } });
  await act(async () => {
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
  });
}

describe("adding a vSphere server", () => {
  it("shows the thumbprint of an unknown certificate and connects again accepting it", async () => {
    const api = fakeServer(unknownCertificate);
    setApi(api);
    let done = false;
    await connect(() => (done = true));
    const prompt = screen.getByRole("region", { name: "Do you trust vcenter.lab?" });
    expect(within(prompt).getByTestId("thumbprint").textContent).toBe(THUMBPRINT);
    expect(within(prompt).getByText("CN=vcenter.lab")).toBeTruthy();
    expect(done).toBe(false);

    await act(async () => {
      fireEvent.click(within(prompt).getByRole("button", { name: "Trust this certificate and connect" }));
    });
    const calls = api.callsTo("sources.addVsphere");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.acceptThumbprint).toBeUndefined();
    expect(calls[1]).toEqual({
      server: "vcenter.lab",
      user: "backup@vsphere.local",
      password: "s3cret",
      rememberPassword: true,
      acceptThumbprint: THUMBPRINT,
    });
    expect(done).toBe(true);
    expect(useSourcesStore.getState().sources).toEqual([vsphereSource]);
    expect(useSourcesStore.getState().inventories["src-vc"]?.status).toBe("ready");
  });

  it("asks the server for the certificate when the error carries no thumbprint", async () => {
    const api = fakeServer({
      code: "tls-unknown-certificate",
      message: "the certificate of vcenter.lab is not trusted yet",
    });
    setApi(api);
    await connect(() => undefined);
    expect(api.callsTo("sources.probeCertificate")).toEqual([{ server: "vcenter.lab" }]);
    expect(screen.getByTestId("thumbprint").textContent).toBe(THUMBPRINT);
  });

  it("warns louder when the certificate changed, showing both thumbprints", async () => {
    const pinned =
      "11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99:00:11:22";
    setApi(
      fakeServer({
        code: "tls-certificate-changed",
        message: "the certificate has changed",
        details: { thumbprint: THUMBPRINT, pinned },
      }),
    );
    await connect(() => undefined);
    const prompt = screen.getByRole("region", { name: "The certificate of vcenter.lab has changed" });
    expect(prompt.textContent).toContain(pinned);
    expect(within(prompt).getByTestId("thumbprint").textContent).toBe(THUMBPRINT);
    expect(
      within(prompt).getByRole("button", { name: "Trust the new certificate and connect" }),
    ).toBeTruthy();
  });
});
