/**
 * File-level restore: browse the files of one disk of a restore point and extract single files or
 * folders, offline, straight from the repository. The work is done in main/flr/ (see its
 * README.md); this module is the service every door (CLI, IPC, bridge) calls.
 */
export type {
  ArchiveOptions,
  ExtractResult,
  FileBrowseRequest,
  FileEntry,
  FileOpOptions,
  FileProgress,
  PartitionInfo,
} from "../flr/file-browser.js";
export { FileBrowser } from "../flr/file-browser.js";
