/**
 * Single-file restore: the folder tree of one disk of a restore point, the files of the folder
 * chosen (or a search's results), and what to do with the ticked ones. The session in main is
 * opened on mount and closed when the pane goes away.
 */
import { useEffect, useState } from "react";
import { ErrorView } from "../../../components/error-view";
import { partitionOf, useFilesStore } from "../../../stores/files-store";
import { FileActions } from "./file-actions";
import { FileList } from "./file-list";
import { FolderTree, partitionLabel } from "./folder-tree";

export function FileBrowserPane(props: { repositoryId: string; restorePointId: string; disk: number }) {
  const { repositoryId, restorePointId, disk } = props;
  const session = useFilesStore((s) => s.session);
  const opening = useFilesStore((s) => s.opening);
  const openError = useFilesStore((s) => s.openError);
  useEffect(() => {
    void useFilesStore.getState().open(repositoryId, restorePointId, disk);
    return () => void useFilesStore.getState().close();
  }, [repositoryId, restorePointId, disk]);
  if (opening) return <p className="muted">Opening the disk…</p>;
  if (openError) return <ErrorView title="Could not open the disk's files" error={openError} />;
  if (!session) return null;
  return (
    <section className="file-browser" aria-label="File browser">
      {!session.sevenZip.found ? (
        <div className="warning-box" role="alert" aria-label="7-Zip is missing">
          <p>
            <strong>7-Zip was not found.</strong> {session.sevenZip.hint}
          </p>
        </div>
      ) : null}
      {session.partitions.length === 0 ? (
        <p className="muted">No partitions or file systems were found on this disk.</p>
      ) : (
        <>
          <SearchBox />
          <div className="file-browser-panes">
            <FolderTree partitions={session.partitions} />
            <FolderContents />
          </div>
          <FileActions />
        </>
      )}
    </section>
  );
}

function SearchBox() {
  const session = useFilesStore((s) => s.session);
  const folder = useFilesStore((s) => s.folder);
  const [query, setQuery] = useState("");
  const partitions = session?.partitions ?? [];
  const [partition, setPartition] = useState(partitions[0]?.number ?? 1);
  const { runSearch, clearSearch } = useFilesStore.getState();
  useEffect(() => {
    if (folder) setPartition(partitionOf(folder));
  }, [folder]);
  return (
    <form
      role="search"
      className="file-search"
      onSubmit={(e) => {
        e.preventDefault();
        void runSearch(partition, query);
      }}
    >
      <input
        type="search"
        aria-label="Search file names"
        placeholder="Search file names"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          if (!e.target.value) clearSearch();
        }}
      />
      {partitions.length > 1 ? (
        <select
          aria-label="Partition to search"
          value={partition}
          onChange={(e) => setPartition(Number(e.target.value))}
        >
          {partitions.map((p) => (
            <option key={p.number} value={p.number}>
              {partitionLabel(p)}
            </option>
          ))}
        </select>
      ) : null}
      <button type="submit" disabled={!query.trim()}>
        Search
      </button>
    </form>
  );
}

function FolderContents() {
  const folder = useFilesStore((s) => s.folder);
  const listing = useFilesStore((s) => (s.folder ? s.listings[s.folder] : undefined));
  const search = useFilesStore((s) => s.search);
  if (search) {
    return (
      <FileList
        caption={`Search results for “${search.query}” in partition ${search.partition}`}
        partition={search.partition}
        entries={search.results}
        loading={search.status === "loading"}
        error={search.error}
        showPath
      />
    );
  }
  if (!folder) return <p className="muted">Choose a folder.</p>;
  return (
    <FileList
      caption={`Files in ${folder}`}
      partition={partitionOf(folder)}
      entries={listing?.status === "ready" ? listing.entries : []}
      loading={listing === undefined || listing.status === "loading"}
      error={listing?.status === "error" ? listing.error : null}
    />
  );
}
