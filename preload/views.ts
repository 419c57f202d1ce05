/**
 * The shapes the contract's calls answer with, as the renderer sees them (preload/contract.ts
 * names which call returns which). Types only: nothing here runs.
 */
import type { CatalogRepository, CatalogRun } from "../main/catalog/catalog-api.js";
import type { JobSettings } from "../main/jobs/job-settings.js";
import type { EmailSettings } from "../main/notify/email-settings.js";
import type { Inventory } from "../main/sources/vsphere/inventory-types.js";

export interface AppInfo {
  version: string;
  platform: string;
  /**
   * "electron" inside the app; "bridge" when the UI runs in a browser over the loopback bridge;
   * "cli" for `snapferry job`, which runs jobs through the same services without a window.
   */
  door: "electron" | "bridge" | "cli";
  keychain: "available" | "unavailable";
}

export interface RepositoryView extends CatalogRepository {
  /** Whether a password for it is in the keychain (the password itself never leaves main). */
  passwordSaved: boolean;
}

export interface RepositoryStatsView {
  repositoryId: string;
  restorePoints: number;
  storedBytes: number;
  /** What the restore points would take without deduplication and compression. */
  logicalBytes: number;
}

export interface CertificateView {
  server: string;
  thumbprint: string;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** The thumbprint accepted earlier for this server, if any (a change is a warning). */
  known: string | null;
}

/** A partition of a disk being browsed (main/flr's PartitionInfo). */
export interface PartitionView {
  /** 1-based, as in "2:/etc". */
  number: number;
  start: number;
  size: number;
  type: string;
  scheme: "mbr" | "gpt" | "none";
  name?: string;
}

/** A file or folder inside a partition (main/flr's FileEntry). */
export interface FileEntryView {
  /** "/etc/hosts" inside its partition. */
  path: string;
  name: string;
  type: "file" | "dir" | "link";
  size: number;
  mtime: string | null;
}

export interface FilesSessionView {
  sessionId: string;
  partitions: PartitionView[];
  /** Whether 7-Zip, which reads the file systems, is installed; if not, where to get it. */
  sevenZip: { found: boolean; hint: string | null };
}

/** One running instant recovery ("Run from backup"). */
export interface InstantView {
  sessionId: string;
  repositoryId: string;
  url: string;
  host: string;
  port: number;
  exportName: string;
  overlay: string;
  /** Bytes written by clients so far, kept in the overlay. */
  overlayBytes: number;
  clients: number;
  restorePoint: string;
  disk: number;
  size: number;
}

/** A local source's VMs (one for a VM folder or an image). */
export interface LocalInventory {
  kind: "local";
  vms: { name: string; uuid: string | null; disks: { name: string; size: number; chainDepth: number }[] }[];
}

/**
 * What crosses a door: Dates travel as ISO 8601 strings. The bridge speaks JSON and IPC would keep
 * Dates, so main converts them in both doors and the renderer sees one shape.
 */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type SourceInventory = ({ kind: "vsphere" } & Wire<Inventory>) | LocalInventory;

/** A job as the jobs screen shows it. */
export interface JobView {
  id: string;
  name: string;
  settings: JobSettings;
  /** "every day at 22:00", "not scheduled". */
  scheduleText: string;
  nextRun: string | null;
  lastRun: CatalogRun | null;
  running: boolean;
}

export interface RetentionPreview {
  keep: { id: string; time: string; reasons: string[] }[];
  remove: { id: string; time: string }[];
}

export interface SettingsView {
  email: EmailSettings | null;
  /** Whether the SMTP password is in the keychain (it never leaves main). */
  smtpPasswordSaved: boolean;
  /** Null where the door cannot start Snapferry at login (the browser bridge). */
  startAtLogin: boolean | null;
}

export interface DashboardView {
  /** The newest run of each job, for "last night's results". */
  jobs: { jobId: string; name: string; lastRun: CatalogRun | null; nextRun: string | null }[];
  repositories: {
    repositoryId: string;
    name: string;
    /** Its pack files' size where reachable, else what its restore points added (the catalog's cache). */
    usedBytes: number;
    /** Free space where the repository is reachable now; null when it is not (a USB disk on a shelf). */
    freeBytes: number | null;
    /** Average growth per day over the last 30 days; null with too little history. */
    growthPerDay: number | null;
    /** When it fills at that rate; null when it does not grow or cannot be told. */
    fullBy: string | null;
  }[];
  /** Machines whose newest restore point is older than the gap (or which have none yet). */
  protectionGaps: { name: string; source: string; newest: string | null; days: number | null }[];
  gapDays: number;
}
