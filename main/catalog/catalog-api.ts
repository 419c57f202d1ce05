/**
 * What the app's catalog holds and how the service layer asks for it. The catalog is a cache in
 * SQLite (main/catalog/): everything in it can be rebuilt from the repositories themselves, so a
 * USB repository opens on a machine that has never seen it. It never holds a secret: passwords
 * live in the OS keychain, keyed by the ids below.
 */

/** A repository the user created or opened; `repositoryId` is the id in the repository's config. */
export interface CatalogRepository {
  /** The repository's own random id (config file): the same USB disk has it on every machine. */
  repositoryId: string;
  name: string;
  /** Where it was last found on this machine. */
  path: string;
  encryption: "aes256gcm" | "none";
  chunkSize: number;
  addedAt: string;
  lastOpenedAt: string | null;
}

export type SourceKind = "vsphere" | "local-folder" | "image";

/** A place VMs come from. A vSphere source's password is in the keychain, never here. */
export interface CatalogSource {
  id: string;
  kind: SourceKind;
  name: string;
  /** host:port for vSphere; a folder or file path for local sources. */
  location: string;
  /** The vSphere user name (not a secret). */
  user: string | null;
  addedAt: string;
}

/** A restore point as listed from a repository (main/services/repository-service.ts summarize). */
export interface CatalogRestorePoint {
  repositoryId: string;
  id: string;
  time: string;
  type: "full" | "incremental" | "differential";
  consistency: "crash" | "application";
  sourceKind: string;
  source: string;
  vmUuid: string | null;
  vmName: string | null;
  disks: { index: number; name: string; size: number }[];
  /** Bytes this restore point added to the repository, when known. */
  bytesAdded: number | null;
  /** When `check --read-data` or `verify` last found it sound, or null. */
  verifiedAt: string | null;
  /** The last verification that failed, when none succeeded after it: shown in red with the reason. */
  verifyFailure: VerifyFailure | null;
}

export interface VerifyFailure {
  at: string;
  reason: string;
}

/** What one verification found: success clears an earlier failure, failure keeps the last success. */
export type VerificationOutcome = { at: string; ok: true } | { at: string; ok: false; reason: string };

export type JobKind = "backup" | "restore" | "check" | "prune";

export interface CatalogJob {
  id: string;
  name: string;
  kind: JobKind;
  /** The job's settings as JSON (sources, repository id, backup type…); never a secret. */
  settings: Record<string, unknown>;
  createdAt: string;
}

export type RunStatus = "running" | "succeeded" | "failed" | "cancelled";

export interface CatalogRun {
  id: string;
  jobId: string | null;
  kind: JobKind;
  title: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  bytesRead: number;
  bytesStored: number;
  /** The restore point a backup run made. */
  restorePointId: string | null;
  repositoryId: string | null;
  error: string | null;
}

export interface RunLogLine {
  runId: string;
  time: string;
  level: "info" | "warn" | "error";
  message: string;
}

export interface Catalog {
  repositories: {
    list(): CatalogRepository[];
    get(repositoryId: string): CatalogRepository | undefined;
    /** Adds or updates (the same repository found at a new path updates its path). */
    upsert(repo: Omit<CatalogRepository, "addedAt" | "lastOpenedAt">): CatalogRepository;
    touch(repositoryId: string): void;
    remove(repositoryId: string): boolean;
  };
  sources: {
    list(): CatalogSource[];
    get(id: string): CatalogSource | undefined;
    add(source: Omit<CatalogSource, "id" | "addedAt">): CatalogSource;
    remove(id: string): boolean;
  };
  restorePoints: {
    list(repositoryId: string): CatalogRestorePoint[];
    /** Replaces the cached list of one repository in one transaction. */
    replaceAll(repositoryId: string, points: CatalogRestorePoint[]): void;
    markVerified(repositoryId: string, ids: string[], at: string): void;
    recordVerification(repositoryId: string, id: string, outcome: VerificationOutcome): void;
  };
  jobs: {
    list(): CatalogJob[];
    get(id: string): CatalogJob | undefined;
    save(job: Omit<CatalogJob, "createdAt"> & { createdAt?: string }): CatalogJob;
    remove(id: string): boolean;
    /** The schedule slot (ISO time) the job last ran for, or null: how missed runs are found. */
    lastSlot(id: string): string | null;
    setLastSlot(id: string, slot: string): void;
  };
  runs: {
    start(run: Pick<CatalogRun, "jobId" | "kind" | "title" | "repositoryId">): CatalogRun;
    finish(
      id: string,
      result: Pick<CatalogRun, "status" | "bytesRead" | "bytesStored" | "restorePointId" | "error">,
    ): CatalogRun;
    list(options?: { limit?: number; jobId?: string; status?: RunStatus; text?: string }): CatalogRun[];
    get(id: string): CatalogRun | undefined;
    log(line: RunLogLine): void;
    logs(runId: string): RunLogLine[];
    /** Runs left "running" by a process that died are marked failed at start. */
    failAbandoned(reason: string): number;
  };
  settings: {
    /** The JSON value stored under KEY, or undefined; the caller validates its shape. */
    get(key: string): unknown;
    /** Refuses a value with a secret-looking field: secrets live in the keychain. */
    set(key: string, value: unknown): void;
    remove(key: string): void;
  };
  close(): void;
}
