/**
 * The one API the renderer sees: every call by name, with its input (validated by a valibot schema
 * wherever it arrives: Electron IPC or the loopback bridge) and its output type, plus one event
 * stream. Main implements it (main/services/app-api.ts); preload exposes it with contextBridge;
 * the browser build reaches the same implementation over the loopback bridge (main/bridge/).
 *
 * Errors cross the boundary as data ({ ok: false, error }), because Electron's IPC drops every
 * property of an Error but its message, and the UI needs the code and the hint.
 */
import * as v from "valibot";
import type {
  CatalogRepository,
  CatalogRestorePoint,
  CatalogRun,
  CatalogSource,
  RunLogLine,
} from "../main/catalog/catalog-api.js";
import type { ProgressEvent } from "../main/engines/progress.js";
import type { Inventory } from "../main/sources/vsphere/inventory-types.js";

const text = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,128}$/));
const password = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
const thumbprint = v.pipe(v.string(), v.regex(/^[0-9A-Fa-f:]{40,95}$/));

export const BACKUP_TYPES = ["incremental", "differential", "full", "active-full"] as const;
export const DISK_FORMATS = ["raw", "vmdk", "vmdk-stream", "vmdk-flat", "qcow2", "vhdx"] as const;

const restoreTarget = v.variant("kind", [
  v.object({
    kind: v.literal("file"),
    path: text,
    format: v.picklist(DISK_FORMATS),
    disk: v.optional(v.number()),
  }),
  v.object({
    kind: v.literal("vsphere-new"),
    sourceId: id,
    /** DATACENTER/HOST-OR-CLUSTER */
    placement: text,
    datastore: text,
    name: text,
    powerOn: v.boolean(),
  }),
  v.object({
    kind: v.literal("vsphere-original"),
    confirmOverwrite: v.literal(true),
    disk: v.optional(v.number()),
  }),
]);

/** Input schemas, one per call. */
export const inputs = {
  "app.info": v.object({}),
  "repositories.list": v.object({}),
  "repositories.create": v.object({
    path: text,
    encryption: v.picklist(["aes256gcm", "none"]),
    password: v.optional(password),
    rememberPassword: v.boolean(),
  }),
  "repositories.open": v.object({
    path: text,
    password: v.optional(password),
    rememberPassword: v.boolean(),
  }),
  "repositories.forget": v.object({ repositoryId: id }),
  "repositories.stats": v.object({ repositoryId: id, password: v.optional(password) }),
  "repositories.check": v.object({ repositoryId: id, readData: v.boolean(), password: v.optional(password) }),
  "repositories.prune": v.object({
    repositoryId: id,
    keepLast: v.pipe(v.number(), v.integer(), v.minValue(1)),
    keepDaily: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    keepWeekly: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    keepMonthly: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    password: v.optional(password),
  }),
  "restorePoints.list": v.object({ repositoryId: id, refresh: v.boolean(), password: v.optional(password) }),
  /** Reads every chunk and checks the file systems of one restore point (or all of them). */
  "restorePoints.verify": v.object({
    repositoryId: id,
    restorePointId: v.optional(id),
    password: v.optional(password),
  }),
  /** Opens a disk of a restore point for browsing its files (a session in main until files.close). */
  "files.open": v.object({
    repositoryId: id,
    restorePointId: id,
    disk: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    password: v.optional(password),
  }),
  /** PATH is "N:/folder" (partition N) or "/" for the partitions themselves. */
  "files.list": v.object({ sessionId: id, path: text }),
  "files.search": v.object({
    sessionId: id,
    partition: v.pipe(v.number(), v.integer(), v.minValue(1)),
    query: text,
  }),
  "files.extract": v.object({ sessionId: id, paths: v.pipe(v.array(text), v.minLength(1)), target: text }),
  "files.archive": v.object({
    sessionId: id,
    paths: v.pipe(v.array(text), v.minLength(1)),
    file: text,
    format: v.picklist(["zip", "7z"]),
  }),
  "files.close": v.object({ sessionId: id }),
  /** Serves a disk of a restore point over NBD, writes going to an overlay (the backup is never changed). */
  "instant.start": v.object({
    repositoryId: id,
    restorePointId: id,
    disk: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))),
    password: v.optional(password),
  }),
  "instant.list": v.object({}),
  /** Stops serving; the overlay (the VM's writes) is kept unless `discard`. */
  "instant.stop": v.object({ sessionId: id, discard: v.optional(v.boolean()) }),
  "instant.finalize": v.object({ sessionId: id, path: text, format: v.picklist(DISK_FORMATS) }),
  "sources.list": v.object({}),
  "sources.addLocal": v.object({ path: text }),
  "sources.probeCertificate": v.object({ server: text }),
  "sources.addVsphere": v.object({
    server: text,
    user: text,
    password,
    rememberPassword: v.boolean(),
    /** The thumbprint the user accepted after seeing it (first contact or a renewed certificate). */
    acceptThumbprint: v.optional(thumbprint),
  }),
  "sources.remove": v.object({ sourceId: id }),
  "sources.inventory": v.object({ sourceId: id, password: v.optional(password) }),
  "jobs.backup": v.object({
    sourceId: id,
    /** For vSphere: the VM's inventory path; for local folders: unused. */
    vm: v.optional(text),
    repositoryId: id,
    type: v.picklist(BACKUP_TYPES),
    allowCrashConsistent: v.boolean(),
    password: v.optional(password),
    /** The vSphere password, when the keychain has none for the source (asked after a vsphere-login error). */
    vspherePassword: v.optional(password),
  }),
  "jobs.restore": v.object({
    repositoryId: id,
    restorePointId: id,
    target: restoreTarget,
    password: v.optional(password),
    /** The vSphere password for a vSphere target, when the keychain has none for it. */
    vspherePassword: v.optional(password),
  }),
  "jobs.cancel": v.object({ runId: id }),
  "runs.list": v.object({ limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))) }),
  "runs.logs": v.object({ runId: id }),
};

export type ApiName = keyof typeof inputs;
export type ApiInput<K extends ApiName> = v.InferOutput<(typeof inputs)[K]>;

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

export interface Outputs {
  "app.info": AppInfo;
  "repositories.list": RepositoryView[];
  "repositories.create": RepositoryView;
  "repositories.open": RepositoryView;
  "repositories.forget": { removed: boolean };
  "repositories.stats": RepositoryStatsView;
  "repositories.check": { runId: string };
  "repositories.prune": { runId: string };
  "restorePoints.list": CatalogRestorePoint[];
  "restorePoints.verify": { runId: string };
  "files.open": FilesSessionView;
  "files.list": FileEntryView[];
  "files.search": FileEntryView[];
  "files.extract": { runId: string };
  "files.archive": { runId: string };
  "files.close": { closed: boolean };
  "instant.start": InstantView;
  "instant.list": InstantView[];
  "instant.stop": { stopped: boolean };
  "instant.finalize": { runId: string };
  "sources.list": CatalogSource[];
  "sources.addLocal": CatalogSource;
  "sources.probeCertificate": CertificateView;
  "sources.addVsphere": CatalogSource;
  "sources.remove": { removed: boolean };
  "sources.inventory": SourceInventory;
  "jobs.backup": { runId: string };
  "jobs.restore": { runId: string };
  "jobs.cancel": { cancelled: boolean };
  "runs.list": CatalogRun[];
  "runs.logs": RunLogLine[];
}

export type ApiOutput<K extends ApiName> = Outputs[K];

/** A failure as the UI shows it: words an admin understands, with the detail one click away. */
export interface ApiError {
  code: string;
  message: string;
  hint?: string;
  /** Extra data some errors carry: a certificate's thumbprint, say. */
  details?: Record<string, string>;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** A job's phases, in order. */
export const RUN_PHASES = ["pre-check", "snapshot", "transfer", "snapshot-removal", "commit"] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export type AppEvent =
  /** `phase` where main knows it; without it the UI infers one from the byte counts. */
  | { type: "progress"; runId: string; progress: ProgressEvent; phase?: RunPhase }
  | { type: "run"; run: CatalogRun }
  | { type: "log"; line: RunLogLine };

/** What `window.snapferry` is, in the app (preload) and in a browser (bridge client) alike. */
export interface SnapferryApi {
  call<K extends ApiName>(name: K, input: ApiInput<K>): Promise<ApiResult<ApiOutput<K>>>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** The IPC channel names: one for calls, one for events. */
export const CALL_CHANNEL = "snapferry:call";
export const EVENT_CHANNEL = "snapferry:event";

export function isApiName(name: unknown): name is ApiName {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(inputs, name);
}
