/** Add a local VM folder (VMware Workstation/Fusion, libvirt) or a disk image by its path. */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
import { useSourcesStore } from "../../stores/sources-store";

export function AddLocalForm({ onDone }: { onDone(): void }) {
  const addLocal = useSourcesStore((s) => s.addLocal);
  const [path, setPath] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) return;
    setBusy(true);
    const result = await addLocal(path.trim());
    setBusy(false);
    if (result.ok) onDone();
    else setError(result.error);
  };
  return (
    <form
      className="card form-grid"
      onSubmit={(e) => void submit(e)}
      aria-label="Add a local VM folder or image"
    >
      <h3>Local VM folder or disk image</h3>
      <TextField
        label="Path"
        hint="A VMware VM folder (with its .vmx), a libvirt domain XML, or a disk image (raw, VMDK, qcow2, VHD, VHDX)."
        value={path}
        placeholder="/vms/web01"
        onChange={setPath}
      />
      <SubmitRow
        label="Add"
        busyLabel="Adding…"
        busy={busy}
        disabled={!path.trim()}
        error={error}
        errorTitle="The source was not added"
      />
    </form>
  );
}
