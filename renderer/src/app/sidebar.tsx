/** The sidebar: the screens, the dashboard first, and the runs in progress one click from their details. */
import { useRunsStore } from "../stores/runs-store";
import { useUiStore, type Screen } from "../stores/ui-store";

const SCREENS: { id: Screen; label: string }[] = [
  { id: "dashboard", label: "Dashboard" },
  { id: "jobs", label: "Jobs" },
  { id: "inventory", label: "Inventory" },
  { id: "repositories", label: "Repositories" },
  { id: "history", label: "History" },
  { id: "settings", label: "Settings" },
];

export function Sidebar() {
  const screen = useUiStore((s) => s.screen);
  const go = useUiStore((s) => s.go);
  const selectRun = useUiStore((s) => s.selectRun);
  const runs = useRunsStore((s) => s.runs);
  const live = useRunsStore((s) => s.live);
  const running = runs.filter((r) => r.status === "running");
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Snapferry
      </div>
      <ul>
        {SCREENS.map((s) => (
          <li key={s.id}>
            <button
              type="button"
              className={`nav-item ${screen === s.id ? "current" : ""}`}
              aria-current={screen === s.id ? "page" : undefined}
              onClick={() => go(s.id)}
            >
              <span className={`nav-icon icon-${s.id}`} aria-hidden="true" />
              {s.label}
            </button>
          </li>
        ))}
      </ul>
      {running.length > 0 ? (
        <section className="activity" aria-label="Running">
          <h2>Running</h2>
          <ul>
            {running.map((run) => {
              const p = live[run.id]?.progress;
              const percent = p && p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : null;
              return (
                <li key={run.id}>
                  <button
                    type="button"
                    className="activity-item"
                    onClick={() => {
                      selectRun(run.id);
                      go("history");
                    }}
                  >
                    <span className="activity-title">{run.title}</span>
                    <span className="muted">{percent === null ? "starting" : `${percent}%`}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
    </nav>
  );
}
