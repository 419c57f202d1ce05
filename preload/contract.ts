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
  CatalogRestorePoint,
  CatalogRun,
  CatalogSource,
  RunLogLine,
} from "../main/catalog/catalog-api.js";
import type { ProgressEvent } from "../main/engines/progress.js";
import type {
  AppInfo,
  CertificateView,
  DashboardView,
  FileEntryView,
  FilesSessionView,
  InstantView,
  JobView,
  RepositoryStatsView,
  RepositoryView,
  RetentionPreview,
  SettingsView,
  SourceInventory,
} from "./views.js";

export type * from "./views.js";

const text = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,128}$/));
const password = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
const thumbprint = v.pipe(v.string(), v.regex(/^[0-9A-Fa-f:]{40,95}$/));

export const BACKUP_TYPES = ["incremental", "differential", "full", "active-full"] as const;

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000));
const retention = v.object({ last: count, daily: count, weekly: count, monthly: count, yearly: count });
/** Shape only; main checks every field (main/jobs/job-settings.ts) and names a bad one. */
const jobSettings = v.pipe(
  v.record(v.string(), v.unknown()),
  v.check((s) => JSON.stringify(s).length <= 65536, "settings under 64 KiB"),
);
const emailSettings = v.pipe(
  v.record(v.string(), v.unknown()),
  v.check((s) => JSON.stringify(s).length <= 8192, "settings under 8 KiB"),
);
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
  "runs.list": v.object({
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    /** Filters of the history screen: one job, runs whose title or log names a VM, one status. */
    jobId: v.optional(id),
    vm: v.optional(v.pipe(v.string(), v.maxLength(256))),
    status: v.optional(v.picklist(["running", "succeeded", "failed", "cancelled"])),
  }),
  /** A run's log as plain text, for saving or sending to support. */
  "runs.exportLog": v.object({ runId: id }),
  "jobs.list": v.object({}),
  /**
   * Creates (no id) or replaces a job. `settings` is checked in main against the job schema
   * (main/jobs/job-settings.ts); a bad field comes back as a "config" error naming it.
   */
  "jobs.save": v.object({ id: v.optional(id), name: v.pipe(text, v.maxLength(200)), settings: jobSettings }),
  "jobs.remove": v.object({ jobId: id }),
  "jobs.run": v.object({ jobId: id }),
  /** Which restore points a retention policy would keep and remove, before it is saved. */
  "jobs.previewRetention": v.object({
    repositoryId: id,
    sourceId: id,
    retention: retention,
    password: v.optional(password),
  }),
  "jobs.export": v.object({ jobId: id }),
  "jobs.import": v.object({
    json: v.pipe(v.string(), v.minLength(2), v.maxLength(65536)),
    name: v.optional(text),
  }),
  "settings.get": v.object({}),
  /** The email report settings (no secret) and, when given, the SMTP password for the keychain. */
  "settings.saveEmail": v.object({ email: v.nullable(emailSettings), smtpPassword: v.optional(password) }),
  "settings.testEmail": v.object({}),
  "settings.setStartAtLogin": v.object({ enabled: v.boolean() }),
  /** Last results per job, repository space and its forecast, machines without a recent restore point. */
  "dashboard.get": v.object({
    gapDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365))),
  }),
  "runs.logs": v.object({ runId: id }),
};

export type ApiName = keyof typeof inputs;
export type ApiInput<K extends ApiName> = v.InferOutput<(typeof inputs)[K]>;

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
  "runs.exportLog": { fileName: string; text: string };
  "jobs.list": JobView[];
  "jobs.save": JobView;
  "jobs.remove": { removed: boolean };
  "jobs.run": { runId: string };
  "jobs.previewRetention": RetentionPreview;
  "jobs.export": { fileName: string; json: string };
  "jobs.import": JobView;
  "settings.get": SettingsView;
  "settings.saveEmail": SettingsView;
  "settings.testEmail": { sent: true; to: string[] };
  "settings.setStartAtLogin": SettingsView;
  "dashboard.get": DashboardView;
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
  | { type: "log"; line: RunLogLine }
  /** Something to tell the user outside any run: "it is safe to unplug the Friday disk". */
  | { type: "notice"; level: "info" | "warn"; message: string };

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
