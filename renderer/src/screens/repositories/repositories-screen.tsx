/** Repositories: those this machine knows, and creating or opening one. */
import { useState } from "react";
import { EmptyState } from "../../components/empty-state";
import { ErrorView } from "../../components/error-view";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { CreateRepositoryForm } from "./create-repository-form";
import { OpenRepositoryForm } from "./open-repository-form";
import { RepositoryCard } from "./repository-card";

export function RepositoriesScreen() {
  const repositories = useRepositoriesStore((s) => s.repositories);
  const loaded = useRepositoriesStore((s) => s.loaded);
  const error = useRepositoriesStore((s) => s.error);
  const [form, setForm] = useState<"create" | "open" | null>(null);
  return (
    <div className="screen">
      <div className="toolbar">
        <h2>Repositories</h2>
        <button
          type="button"
          className="primary"
          aria-expanded={form === "create"}
          onClick={() => setForm(form === "create" ? null : "create")}
        >
          Create repository
        </button>
        <button
          type="button"
          aria-expanded={form === "open"}
          onClick={() => setForm(form === "open" ? null : "open")}
        >
          Open existing
        </button>
      </div>
      {error ? <ErrorView title="Could not list repositories" error={error} /> : null}
      {form === "create" ? <CreateRepositoryForm onDone={() => setForm(null)} /> : null}
      {form === "open" ? <OpenRepositoryForm onDone={() => setForm(null)} /> : null}
      {loaded && repositories.length === 0 && form === null ? (
        <EmptyState title="No repository yet">
          Create one on a local disk, a NAS share or a USB disk, or open one made on another machine.
        </EmptyState>
      ) : null}
      <div className="cards">
        {repositories.map((repo) => (
          <RepositoryCard key={repo.repositoryId} repo={repo} />
        ))}
      </div>
    </div>
  );
}
