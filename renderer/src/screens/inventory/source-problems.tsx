/** Sources whose inventory could not be read: why, and a way to retry (with a password if that is it). */
import { ErrorView } from "../../components/error-view";
import { PASSWORD_ERRORS, PasswordPrompt } from "../../components/password-prompt";
import { useSourcesStore } from "../../stores/sources-store";

export function SourceProblems() {
  const sources = useSourcesStore((s) => s.sources);
  const inventories = useSourcesStore((s) => s.inventories);
  const loadInventory = useSourcesStore((s) => s.loadInventory);
  const failed = sources.flatMap((source) => {
    const state = inventories[source.id];
    return state?.status === "error" ? [{ source, error: state.error }] : [];
  });
  if (failed.length === 0) return null;
  return (
    <div className="source-problems">
      {failed.map(({ source, error }) => (
        <div key={source.id} className="card">
          <ErrorView title={`The inventory of ${source.name} could not be read`} error={error} />
          {source.kind === "vsphere" && PASSWORD_ERRORS.has(error.code) ? (
            <PasswordPrompt
              id={source.id}
              label={`Password for ${source.user ?? "the user"} on ${source.name}`}
              onDone={() => void loadInventory(source.id)}
            />
          ) : (
            <button type="button" onClick={() => void loadInventory(source.id)}>
              Try again
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
