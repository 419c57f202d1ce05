/**
 * The implementation of the app's contract (preload/contract.ts), shared by both doors: Electron's
 * IPC (main/app/ipc.ts) and the loopback bridge (main/bridge/). Every call's input is validated
 * with its schema before anything is done; a bad one is refused with a "usage" error and never
 * acted on. Every answer is an ApiResult: errors travel as data.
 */
import * as v from "valibot";
import {
  inputs,
  isApiName,
  type ApiInput,
  type ApiName,
  type ApiOutput,
  type ApiResult,
  type AppEvent,
  type AppInfo,
} from "../../preload/contract.js";
import type { Catalog } from "../catalog/catalog-api.js";
import { TOOL_VERSION } from "../common/version.js";
import type { CredentialStore } from "../sources/vsphere/credential-store.js";
import type { AppContext } from "./app-context.js";
import { DetailedError, toApiError } from "./app-errors.js";
import { AppPasswords } from "./app-passwords.js";
import { backupNow, startBackup } from "./app-backup.js";
import { startCheck, startPrune } from "./app-maintenance.js";
import * as repositories from "./app-repositories.js";
import { startRestore } from "./app-restore.js";
import { startVerify } from "./app-verify.js";
import * as files from "./app-files.js";
import * as instant from "./app-instant.js";
import * as sources from "./app-sources.js";
import { RunRegistry, PROGRESS_INTERVAL_MS } from "./run-registry.js";
import { startBackground } from "./app-background.js";
import type { JobsContext } from "./app-jobs.js";
import { jobHandlers } from "./app-job-handlers.js";
import type { LoginItem } from "./app-settings.js";

export interface AppApiOptions {
  catalog: Catalog;
  credentials: CredentialStore;
  /** Where progress, run and log events go (the window, the tray, the bridge's event stream). */
  events: (event: AppEvent) => void;
  door: AppInfo["door"];
  /** Where the details of unexpected errors go; never to the user. console.error by default. */
  log?: (message: string) => void;
  /** The accepted-thumbprints file; the user's own by default. */
  knownServersFile?: string;
  progressIntervalMs?: number;
  /** Run schedules, watch for USB repositories and send digests (a running app; not tests by default). */
  background?: boolean;
  /** Electron's "open at login"; absent in the browser bridge. */
  loginItem?: LoginItem;
}

export type Handlers = { [K in ApiName]: (input: ApiInput<K>) => Promise<ApiOutput<K>> };

export interface AppApi {
  /** For doors: NAME and INPUT as they arrived, untrusted. */
  handle(name: unknown, input: unknown): Promise<ApiResult<unknown>>;
  /** The same, typed, for code in main (the tray, tests). */
  call<K extends ApiName>(name: K, input: ApiInput<K>): Promise<ApiResult<ApiOutput<K>>>;
  /** The tray's "Back up now": the backup job run most recently, again. */
  backupNow(): Promise<ApiResult<{ runId: string }>>;
  readonly runs: RunRegistry;
  /** Cancels what can be cancelled and waits for every run to end. */
  shutdown(): Promise<void>;
}

export function createAppApi(options: AppApiOptions): AppApi {
  const log = options.log ?? ((message: string) => console.error(message));
  const runs = new RunRegistry(
    options.catalog,
    options.events,
    log,
    options.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
  );
  const ctx: AppContext = {
    catalog: options.catalog,
    passwords: new AppPasswords(options.credentials, log),
    runs,
    door: options.door,
    log,
    knownServersFile: options.knownServersFile,
  };
  const sessions: Sessions = {
    files: new files.FileSessions(log),
    instant: new instant.InstantSessions(log),
  };
  const background = options.background
    ? startBackground(ctx, (level, message) => options.events({ type: "notice", level, message }))
    : undefined;
  const jobsCtx: JobsContext = { ...ctx, jobsChanged: () => background?.jobsChanged() };
  const handlers = createHandlers(jobsCtx, sessions, options.loginItem);

  async function answer<T>(work: () => Promise<T>): Promise<ApiResult<T>> {
    try {
      return { ok: true, value: await work() };
    } catch (err) {
      return { ok: false, error: toApiError(err, log) };
    }
  }

  function dispatch<K extends ApiName>(name: K, input: unknown): Promise<ApiResult<ApiOutput<K>>> {
    const parsed = v.safeParse(inputs[name], input);
    if (!parsed.success) {
      return Promise.resolve({ ok: false, error: toApiError(invalidInput(name, parsed.issues), log) });
    }
    const handler: Handlers[K] = handlers[name];
    return answer(() => handler(parsed.output));
  }

  return {
    handle(name, input) {
      if (!isApiName(name)) {
        const shown = typeof name === "string" ? `"${name.slice(0, 64)}"` : typeof name;
        return Promise.resolve({
          ok: false,
          error: { code: "usage", message: `there is no call named ${shown}`, details: { field: "name" } },
        });
      }
      return dispatch(name, input);
    },
    call: (name, input) => dispatch(name, input),
    backupNow: () => answer(() => backupNow(ctx)),
    runs,
    shutdown: async () => {
      background?.stop();
      // Instant recoveries first: finalize runs need them stopped, and clients must let go.
      await sessions.instant.shutdown();
      await runs.shutdown();
      await sessions.files.shutdown();
    },
  };
}

/** What main keeps open between calls: file browsers and instant recoveries. */
interface Sessions {
  files: files.FileSessions;
  instant: instant.InstantSessions;
}

function createHandlers(ctx: JobsContext, sessions: Sessions, loginItem: LoginItem | undefined): Handlers {
  return {
    ...jobHandlers(ctx, loginItem),
    "app.info": async () => ({
      version: TOOL_VERSION,
      platform: process.platform,
      door: ctx.door,
      keychain: await ctx.passwords.keychainState(),
    }),
    "repositories.list": () => repositories.listRepositories(ctx),
    "repositories.create": (input) => repositories.createRepository(ctx, input),
    "repositories.open": (input) => repositories.openRepositoryAt(ctx, input),
    "repositories.forget": (input) => repositories.forgetRepository(ctx, input),
    "repositories.stats": (input) => repositories.repositoryStats(ctx, input),
    "repositories.check": (input) => startCheck(ctx, input),
    "repositories.prune": (input) => startPrune(ctx, input),
    "restorePoints.list": (input) => repositories.listRestorePoints(ctx, input),
    "restorePoints.verify": (input) => startVerify(ctx, input),
    "files.open": (input) => files.openFiles(ctx, sessions.files, input),
    "files.list": (input) => files.listFiles(sessions.files, input),
    "files.search": (input) => files.searchFiles(sessions.files, input),
    "files.extract": async (input) => files.startExtract(ctx, sessions.files, input),
    "files.archive": async (input) => files.startArchive(ctx, sessions.files, input),
    "files.close": async (input) => ({ closed: await sessions.files.close(input.sessionId) }),
    "instant.start": (input) => instant.startInstant(ctx, sessions.instant, input),
    "instant.list": async () => sessions.instant.list(),
    "instant.stop": (input) => instant.stopInstant(sessions.instant, input),
    "instant.finalize": (input) => instant.startFinalize(ctx, sessions.instant, input),
    "sources.list": async () => sources.listSources(ctx),
    "sources.addLocal": (input) => sources.addLocalSource(ctx, input),
    "sources.probeCertificate": (input) => sources.probeCertificate(ctx, input),
    "sources.addVsphere": (input) => sources.addVsphereSource(ctx, input),
    "sources.remove": (input) => sources.removeSource(ctx, input),
    "sources.inventory": (input) => sources.sourceInventory(ctx, input),
    "jobs.backup": (input) => startBackup(ctx, input),
    "jobs.restore": (input) => startRestore(ctx, input),
    "jobs.cancel": async (input) => ({ cancelled: ctx.runs.cancel(input.runId) }),
    "runs.logs": async (input) => ctx.catalog.runs.logs(input.runId),
  };
}

/**
 * Names the fields and what they expect, never what was received: a bad input may be a password
 * typed into the wrong field, and the message is shown and logged.
 */
function invalidInput(name: ApiName, issues: readonly v.BaseIssue<unknown>[]): DetailedError {
  const problems = issues.slice(0, 5).map((issue) => {
    const field = v.getDotPath(issue) ?? "input";
    return issue.expected
      ? `${field} (expected ${issue.expected})`
      : `${field} (${issue.kind} ${issue.type})`;
  });
  const fields = issues.map((issue) => v.getDotPath(issue) ?? "input");
  return new DetailedError(
    "usage",
    `invalid input for ${name}: ${problems.join(", ")}`,
    "This is a bug in the caller: the input does not match the call's schema. Nothing was done.",
    { field: fields[0] ?? "input", fields: [...new Set(fields)].join(",") },
  );
}
