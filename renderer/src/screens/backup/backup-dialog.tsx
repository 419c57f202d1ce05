/**
 * Back up: the chosen VMs, where to and how, the pre-checks, then one jobs.backup per VM and their
 * live progress in place.
 */
import { useMemo, useState } from "react";
import type { ApiError } from "../../../../preload/contract";
import { call } from "../../api/call";
import { ErrorView } from "../../components/error-view";
import { Modal } from "../../components/modal";
import { PreCheckList } from "../../components/precheck-list";
import { ProgressView } from "../../components/progress-view";
import { backupChecks } from "../../lib/backup-checks";
import type { VmItem } from "../../lib/vm-items";
import { sessionPassword, usePasswordsStore } from "../../stores/passwords-store";
import { needsPassword, useRepositoriesStore } from "../../stores/repositories-store";
import { allVmItems, useSourcesStore } from "../../stores/sources-store";
import { BackupForm, type BackupSettings } from "./backup-form";

interface Started {
  vm: VmItem;
  runId?: string;
  error?: ApiError;
}

export function BackupDialog({ vmKeys, onClose }: { vmKeys: string[]; onClose(): void }) {
  const inventories = useSourcesStore((s) => s.inventories);
  const repositories = useRepositoriesStore((s) => s.repositories);
  const typed = usePasswordsStore((s) => s.byId);
  const rememberPassword = usePasswordsStore((s) => s.remember);
  const [keys, setKeys] = useState(vmKeys);
  const vms = useMemo(
    () => allVmItems(inventories).filter((vm) => keys.includes(vm.key)),
    [inventories, keys],
  );
  const [settings, setSettings] = useState<BackupSettings>({
    repositoryId: repositories[0]?.repositoryId ?? "",
    password: "",
    type: "incremental",
    allowCrashConsistent: false,
  });
  const [started, setStarted] = useState<Started[] | null>(null);
  const [busy, setBusy] = useState(false);
  const repository = repositories.find((r) => r.repositoryId === settings.repositoryId);
  const askPassword = repository !== undefined && needsPassword(repository, typed);
  const checks = backupChecks({
    vms,
    repository,
    repositoryPasswordKnown: !askPassword || settings.password.length > 0,
    type: settings.type,
    allowCrashConsistent: settings.allowCrashConsistent,
  });
  const blocked = checks.some((c) => c.level === "fail");

  const start = async () => {
    if (!repository || blocked || busy) return;
    setBusy(true);
    if (askPassword) rememberPassword(repository.repositoryId, settings.password);
    const results: Started[] = [];
    for (const vm of vms) {
      const source = sessionPassword(vm.sourceId).password;
      const result = await call("jobs.backup", {
        sourceId: vm.sourceId,
        ...(vm.backupPath !== undefined ? { vm: vm.backupPath } : {}),
        repositoryId: repository.repositoryId,
        type: settings.type,
        allowCrashConsistent: settings.allowCrashConsistent,
        ...sessionPassword(repository.repositoryId),
        ...(source ? { vspherePassword: source } : {}),
      });
      results.push(result.ok ? { vm, runId: result.value.runId } : { vm, error: result.error });
    }
    setStarted(results);
  };

  return (
    <Modal
      title={vms.length === 1 && vms[0] ? `Back up ${vms[0].name}` : `Back up ${vms.length} VMs`}
      onClose={onClose}
      wide
    >
      {started ? (
        <div className="modal-body">
          {started.map((s) =>
            s.runId ? (
              <ProgressView key={s.runId} runId={s.runId} />
            ) : s.error ? (
              <ErrorView key={s.vm.key} title={`The backup of ${s.vm.name} did not start`} error={s.error} />
            ) : null,
          )}
          <p className="muted">Backups keep running when you close this window; History shows them.</p>
        </div>
      ) : (
        <div className="modal-body">
          <h3>VMs</h3>
          <ul className="chosen-vms">
            {vms.map((vm) => (
              <li key={vm.key}>
                {vm.name}{" "}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setKeys(keys.filter((k) => k !== vm.key))}
                >
                  Remove<span className="visually-hidden"> {vm.name}</span>
                </button>
              </li>
            ))}
          </ul>
          <BackupForm
            repositories={repositories}
            settings={settings}
            askPassword={askPassword}
            onChange={setSettings}
          />
          <h3>Pre-checks</h3>
          <PreCheckList checks={checks} />
        </div>
      )}
      <footer className="modal-footer">
        {started ? (
          <button type="button" onClick={onClose}>
            Close
          </button>
        ) : (
          <>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="primary" disabled={blocked || busy} onClick={() => void start()}>
              {busy ? "Starting…" : "Start backup"}
            </button>
          </>
        )}
      </footer>
    </Modal>
  );
}
