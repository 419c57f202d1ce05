/**
 * Add a vCenter or ESXi server. An unknown (or changed) certificate comes back as an error with its
 * thumbprint: the user sees it, accepts, and the same call goes again with acceptThumbprint.
 */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { call } from "../../api/call";
import { CertificatePrompt } from "../../components/certificate-prompt";
import { RememberCheckbox } from "../../components/remember-checkbox";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
import {
  CERTIFICATE_ERRORS,
  certificateFromError,
  certificateFromView,
  type CertificateFacts,
} from "../../lib/certificate";
import { usePasswordsStore } from "../../stores/passwords-store";
import { useSourcesStore } from "../../stores/sources-store";

export function AddVsphereForm({ onDone }: { onDone(): void }) {
  const addVsphere = useSourcesStore((s) => s.addVsphere);
  const rememberForSession = usePasswordsStore((s) => s.remember);
  const [server, setServer] = useState("");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [certificate, setCertificate] = useState<CertificateFacts | null>(null);
  const ready = server.trim() !== "" && user.trim() !== "" && password !== "";

  const connect = async (acceptThumbprint?: string) => {
    setBusy(true);
    setError(null);
    const result = await addVsphere({
      server: server.trim(),
      user: user.trim(),
      password,
      rememberPassword: remember,
      ...(acceptThumbprint ? { acceptThumbprint } : {}),
    });
    if (result.ok) {
      if (!remember) rememberForSession(result.value.id, password);
      setBusy(false);
      setCertificate(null);
      onDone();
      return;
    }
    if (CERTIFICATE_ERRORS.has(result.error.code)) {
      const facts = certificateFromError(result.error) ?? (await probe(server.trim()));
      setBusy(false);
      if (facts) {
        setCertificate(facts);
        return;
      }
    }
    setBusy(false);
    setCertificate(null);
    setError(result.error);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (ready) void connect();
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-label="Add a vSphere server">
      <h3>vCenter or ESXi server</h3>
      <TextField
        label="Server"
        hint="Host name or address, with :port if not 443."
        value={server}
        placeholder="vcenter.example.lan"
        onChange={setServer}
      />
      <TextField
        label="User"
        autoComplete="username"
        value={user}
        placeholder="backup@vsphere.local"
        onChange={setUser}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
      />
      <RememberCheckbox checked={remember} onChange={setRemember} />
      {certificate ? (
        <CertificatePrompt
          server={server.trim()}
          certificate={certificate}
          busy={busy}
          onAccept={() => void connect(certificate.thumbprint)}
          onCancel={() => setCertificate(null)}
        />
      ) : null}
      <SubmitRow
        label="Connect"
        busyLabel="Connecting…"
        busy={busy}
        disabled={!ready}
        error={error}
        errorTitle={`Could not add ${server.trim()}`}
        hideButton={certificate !== null}
      />
    </form>
  );
}

async function probe(server: string): Promise<CertificateFacts | null> {
  const result = await call("sources.probeCertificate", { server });
  return result.ok ? certificateFromView(result.value) : null;
}
