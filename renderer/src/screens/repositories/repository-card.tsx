/** One repository: where it is, space used and saved, and its maintenance actions. */
import { useEffect, useState } from "react";
import type { ApiError, RepositoryView } from "../../../../preload/contract";
import { call } from "../../api/call";
import { ErrorView } from "../../components/error-view";
import { PASSWORD_ERRORS, PasswordPrompt } from "../../components/password-prompt";
import { ProgressView } from "../../components/progress-view";
import { VerifyButton } from "../../components/verify-button";
import { formatBytes, formatTime } from "../../lib/format";
import { sessionPassword } from "../../stores/passwords-store";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useRestorePointsStore } from "../../stores/restore-points-store";
import { useUiStore } from "../../stores/ui-store";
import { PruneDialog } from "./prune-dialog";

export function RepositoryCard({ repo }: { repo: RepositoryView }) {
  const stats = useRepositoriesStore((s) => s.stats[repo.repositoryId]);
  const statsError = useRepositoriesStore((s) => s.statsErrors[repo.repositoryId]);
  const { loadStats, forget } = useRepositoriesStore.getState();
  const loadPoints = useRestorePointsStore((s) => s.load);
  const openDialog = useUiStore((s) => s.openDialog);
  const [checkRun, setCheckRun] = useState<string | null>(null);
  const [readData, setReadData] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [pruning, setPruning] = useState(false);
  const [forgetting, setForgetting] = useState(false);
  useEffect(() => {
    if (!stats && !statsError) void loadStats(repo.repositoryId);
  }, [repo.repositoryId, stats, statsError, loadStats]);

  const check = async () => {
    setError(null);
    const result = await call("repositories.check", {
      repositoryId: repo.repositoryId,
      readData,
      ...sessionPassword(repo.repositoryId),
    });
    if (result.ok) setCheckRun(result.value.runId);
    else setError(result.error);
  };
  const saved = stats ? Math.max(0, stats.logicalBytes - stats.storedBytes) : 0;

  return (
    <article className="card repository" aria-labelledby={`repo-${repo.repositoryId}`}>
      <header className="card-header">
        <h3 id={`repo-${repo.repositoryId}`}>{repo.name}</h3>
        <span className="badge">{repo.encryption === "none" ? "not encrypted" : "encrypted"}</span>
        {repo.encryption !== "none" ? (
          <span className="badge">{repo.passwordSaved ? "password in keychain" : "password asked"}</span>
        ) : null}
      </header>
      <p className="muted">
        {repo.path} · added {formatTime(repo.addedAt)}
      </p>
      {stats ? (
        <dl className="facts">
          <dt>Restore points</dt>
          <dd>{stats.restorePoints}</dd>
          <dt>Space used</dt>
          <dd>{formatBytes(stats.storedBytes)}</dd>
          <dt>Space saved</dt>
          <dd>
            {formatBytes(saved)} <span className="muted">of {formatBytes(stats.logicalBytes)} backed up</span>
          </dd>
        </dl>
      ) : null}
      {statsError ? (
        PASSWORD_ERRORS.has(statsError.code) ? (
          <div>
            <p className="muted">Its password is needed to read how much space it uses.</p>
            <PasswordPrompt
              id={repo.repositoryId}
              label={`Password for ${repo.name}`}
              onDone={() => {
                void loadStats(repo.repositoryId);
                void loadPoints(repo.repositoryId, true);
              }}
            />
          </div>
        ) : (
          <ErrorView title="Could not read its statistics" error={statsError} />
        )
      ) : null}
      <div className="card-actions">
        <button
          type="button"
          onClick={() => openDialog({ kind: "restore", repositoryId: repo.repositoryId })}
        >
          Restore…
        </button>
        <button type="button" onClick={() => void check()}>
          Check
        </button>
        <VerifyButton
          plain
          repositoryId={repo.repositoryId}
          label="Verify all"
          name={`Verify all restore points of ${repo.name}`}
        />
        <label className="choice inline">
          <input type="checkbox" checked={readData} onChange={(e) => setReadData(e.target.checked)} />
          read all data
        </label>
        <button type="button" onClick={() => setPruning(true)}>
          Prune…
        </button>
        <button
          type="button"
          onClick={() => {
            void loadStats(repo.repositoryId);
            void loadPoints(repo.repositoryId, true);
          }}
        >
          Refresh
        </button>
        <button
          type="button"
          className="danger-link"
          aria-expanded={forgetting}
          onClick={() => setForgetting(!forgetting)}
        >
          Forget…
        </button>
      </div>
      {forgetting ? (
        <div className="warning-box" role="group" aria-label={`Forget ${repo.name}`}>
          <p>Snapferry stops listing {repo.name}. Its files stay where they are: open it again any time.</p>
          <button type="button" className="danger" onClick={() => void forget(repo.repositoryId)}>
            Forget {repo.name}
          </button>{" "}
          <button type="button" onClick={() => setForgetting(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      {error ? <ErrorView title="Check did not start" error={error} /> : null}
      {checkRun ? <ProgressView runId={checkRun} /> : null}
      {pruning ? <PruneDialog repo={repo} onClose={() => setPruning(false)} /> : null}
    </article>
  );
}
