/**
 * The folder tree of the disk being browsed: partitions are the top nodes, and a folder's
 * children are listed from main the first time it is expanded (lazily: a disk may hold millions).
 */
import type { PartitionView } from "../../../../../preload/contract";
import { formatBytes } from "../../../lib/format";
import { fullPath, partitionOf, useFilesStore } from "../../../stores/files-store";

export function partitionLabel(p: PartitionView): string {
  return `${p.number}: ${p.name ? `${p.type} "${p.name}"` : p.type} ${formatBytes(p.size)}`;
}

export function FolderTree(props: { partitions: PartitionView[] }) {
  return (
    <ul role="tree" aria-label="Folders" className="folder-tree">
      {props.partitions.map((p) => (
        <FolderNode key={p.number} path={`${p.number}:/`} label={partitionLabel(p)} depth={0} />
      ))}
    </ul>
  );
}

function FolderNode(props: { path: string; label: string; depth: number }) {
  const { path, label, depth } = props;
  const expanded = useFilesStore((s) => s.expanded[path] === true);
  const listing = useFilesStore((s) => s.listings[path]);
  const current = useFilesStore((s) => s.folder === path);
  const { toggleExpanded, showFolder } = useFilesStore.getState();
  const folders = listing?.status === "ready" ? listing.entries.filter((e) => e.type === "dir") : [];
  const partition = partitionOf(path);
  return (
    <li role="treeitem" aria-label={label} aria-expanded={expanded} aria-selected={current}>
      <div className={`tree-line${current ? " selected" : ""}`} style={{ paddingLeft: `${depth}rem` }}>
        <button
          type="button"
          className="tree-toggle"
          aria-label={`${expanded ? "Collapse" : "Expand"} ${label}`}
          onClick={() => toggleExpanded(path)}
        >
          {expanded ? "▾" : "▸"}
        </button>
        <button type="button" className="link-button" onClick={() => showFolder(path)}>
          {label}
        </button>
      </div>
      {expanded ? (
        <ul role="group">
          {listing?.status === "loading" ? <li className="muted">Reading…</li> : null}
          {listing?.status === "error" ? <li className="run-error">{listing.error.message}</li> : null}
          {listing?.status === "ready" && folders.length === 0 ? <li className="muted">No folders</li> : null}
          {folders.map((f) => (
            <FolderNode key={f.path} path={fullPath(partition, f.path)} label={f.name} depth={depth + 1} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
