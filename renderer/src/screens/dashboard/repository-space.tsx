/**
 * Space per repository: used, free where it can be reached, growth per day and when it fills at
 * that rate. A forecast within 30 days is a warning: there is still time to add a disk or prune.
 */
import type { DashboardView } from "../../../../preload/contract";
import { EmptyState } from "../../components/empty-state";
import { formatBytes, formatTime } from "../../lib/format";

type RepositorySpaceView = DashboardView["repositories"][number];

const SOON_MS = 30 * 86_400_000;

export function RepositorySpace(props: { repositories: RepositorySpaceView[]; now?: number }) {
  const now = props.now ?? Date.now();
  return (
    <section className="card dashboard-card" aria-label="Repository space">
      <h3>Repository space</h3>
      {props.repositories.length === 0 ? (
        <EmptyState title="No repository yet">Create or open one on the Repositories screen.</EmptyState>
      ) : (
        <ul className="space-list">
          {props.repositories.map((r) => (
            <li key={r.repositoryId} aria-label={r.name}>
              <strong>{r.name}</strong>
              <dl className="facts">
                <dt>Used</dt>
                <dd>{formatBytes(r.usedBytes)}</dd>
                <dt>Free</dt>
                <dd>{r.freeBytes === null ? "not reachable now" : formatBytes(r.freeBytes)}</dd>
                <dt>Growth</dt>
                <dd>
                  {r.growthPerDay === null
                    ? "not enough history yet"
                    : `${formatBytes(r.growthPerDay)} a day`}
                </dd>
                <dt>Full by</dt>
                <dd className={isSoon(r.fullBy, now) ? "warn-text" : undefined}>{fullByText(r)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function fullByText(r: RepositorySpaceView): string {
  if (r.fullBy) return formatTime(r.fullBy);
  if (r.freeBytes === null) return "unknown until it is reachable";
  return r.growthPerDay === null ? "unknown yet" : "not at this rate";
}

function isSoon(fullBy: string | null, now: number): boolean {
  return fullBy !== null && new Date(fullBy).getTime() - now < SOON_MS;
}
