/**
 * Settings: the sources Snapferry backs up from, adding one, email reports, starting at login, and
 * what this installation is.
 */
import { useEffect, useState } from "react";
import { EmptyState } from "../../components/empty-state";
import { ErrorView } from "../../components/error-view";
import { formatTime } from "../../lib/format";
import { useAppStore } from "../../stores/app-store";
import { useSettingsStore } from "../../stores/settings-store";
import { useSourcesStore } from "../../stores/sources-store";
import { AddLocalForm } from "./add-local-form";
import { AddVsphereForm } from "./add-vsphere-form";
import { EmailForm } from "./email-form";
import { StartAtLogin } from "./start-at-login";

const KIND_LABEL = { vsphere: "vSphere", "local-folder": "local folder", image: "disk image" } as const;

export function SettingsScreen() {
  const sources = useSourcesStore((s) => s.sources);
  const error = useSourcesStore((s) => s.error);
  const remove = useSourcesStore((s) => s.remove);
  const info = useAppStore((s) => s.info);
  const [adding, setAdding] = useState<"local" | "vsphere" | null>(null);
  const settingsError = useSettingsStore((s) => s.error);
  const loadSettings = useSettingsStore((s) => s.load);
  useEffect(() => void loadSettings(), [loadSettings]);
  return (
    <div className="screen">
      <div className="toolbar">
        <h2>Sources</h2>
        <button
          type="button"
          className="primary"
          aria-expanded={adding === "vsphere"}
          onClick={() => setAdding(adding === "vsphere" ? null : "vsphere")}
        >
          Add vSphere server
        </button>
        <button
          type="button"
          aria-expanded={adding === "local"}
          onClick={() => setAdding(adding === "local" ? null : "local")}
        >
          Add local folder or image
        </button>
      </div>
      {error ? <ErrorView title="Could not list sources" error={error} /> : null}
      {adding === "vsphere" ? <AddVsphereForm onDone={() => setAdding(null)} /> : null}
      {adding === "local" ? <AddLocalForm onDone={() => setAdding(null)} /> : null}
      {sources.length === 0 && adding === null ? (
        <EmptyState title="No sources yet">
          Add a vCenter or ESXi server, or a local VM folder or disk image.
        </EmptyState>
      ) : (
        <ul className="source-list">
          {sources.map((s) => (
            <li key={s.id} className="card source">
              <strong>{s.name}</strong> <span className="badge">{KIND_LABEL[s.kind]}</span>
              <span className="muted">
                {s.location}
                {s.user ? ` · ${s.user}` : ""} · added {formatTime(s.addedAt)}
              </span>
              <button type="button" className="danger-link" onClick={() => void remove(s.id)}>
                Remove<span className="visually-hidden"> {s.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2>Reports and startup</h2>
      {settingsError ? <ErrorView title="Could not read the settings" error={settingsError} /> : null}
      <StartAtLogin />
      <EmailForm />
      <h2>About</h2>
      {info ? (
        <dl className="facts">
          <dt>Version</dt>
          <dd>{info.version}</dd>
          <dt>Platform</dt>
          <dd>{info.platform}</dd>
          <dt>Running as</dt>
          <dd>{info.door === "electron" ? "the desktop app" : "a browser over the loopback bridge"}</dd>
          <dt>Keychain</dt>
          <dd>
            {info.keychain === "available" ? "available" : "not available: passwords are asked each time"}
          </dd>
        </dl>
      ) : null}
    </div>
  );
}
