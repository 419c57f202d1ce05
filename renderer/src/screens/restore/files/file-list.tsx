/**
 * The files of the folder shown (or the search results): name, size and modified date, with a
 * checkbox each for the multi-selection that "Restore" and "Download" act on.
 */
import type { ApiError, FileEntryView } from "../../../../../preload/contract";
import { ErrorView } from "../../../components/error-view";
import { formatBytes, formatTime } from "../../../lib/format";
import { fullPath, useFilesStore } from "../../../stores/files-store";

export function FileList(props: {
  caption: string;
  partition: number;
  entries: FileEntryView[];
  loading: boolean;
  error: ApiError | null;
  /** Search results show where each one is. */
  showPath?: boolean;
}) {
  const { caption, partition, entries, showPath } = props;
  const selected = useFilesStore((s) => s.selected);
  const { toggleSelected, setSelected, showFolder, toggleExpanded } = useFilesStore.getState();
  const paths = entries.map((e) => fullPath(partition, e.path));
  const allTicked = paths.length > 0 && paths.every((p) => selected.includes(p));
  const tickAll = () =>
    setSelected(
      allTicked ? selected.filter((p) => !paths.includes(p)) : [...new Set([...selected, ...paths])],
    );
  const openFolder = (path: string) => {
    showFolder(path);
    if (!useFilesStore.getState().expanded[path]) toggleExpanded(path);
  };
  if (props.error) return <ErrorView title="Could not read the folder" error={props.error} />;
  return (
    <table className="table file-list">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">
            <input type="checkbox" aria-label="Select all" checked={allTicked} onChange={tickAll} />
          </th>
          <th scope="col">Name</th>
          <th scope="col" className="num">
            Size
          </th>
          <th scope="col">Modified</th>
        </tr>
      </thead>
      <tbody>
        {props.loading ? (
          <tr>
            <td colSpan={4} className="muted">
              Reading…
            </td>
          </tr>
        ) : null}
        {!props.loading && entries.length === 0 ? (
          <tr>
            <td colSpan={4} className="muted">
              Nothing here
            </td>
          </tr>
        ) : null}
        {entries.map((e) => {
          const path = fullPath(partition, e.path);
          return (
            <tr key={path}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${e.name}`}
                  checked={selected.includes(path)}
                  onChange={() => toggleSelected(path)}
                />
              </td>
              <td>
                {e.type === "dir" ? (
                  <button type="button" className="link-button" onClick={() => openFolder(path)}>
                    <span aria-hidden="true">📁 </span>
                    {e.name}
                  </button>
                ) : (
                  <span>
                    {e.type === "link" ? "↪ " : ""}
                    {e.name}
                  </span>
                )}
                {showPath ? <span className="muted"> {e.path}</span> : null}
              </td>
              <td className="num">{e.type === "dir" ? "–" : formatBytes(e.size)}</td>
              <td>{e.mtime ? formatTime(e.mtime) : "–"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
