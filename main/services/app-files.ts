/**
 * File-level restore from the app: "files.open" opens a FileBrowser on one disk of a restore point
 * and keeps it here as a session (its partitions are materialised once and reused by every list,
 * search and extract), until "files.close", 30 minutes without use, or the app quitting.
 * Extract and archive run in the background as restore runs with progress.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { ApiInput, FilesSessionView, FileEntryView } from "../../preload/contract.js";
import { SnapferryError } from "../common/errors.js";
import type { ProgressEvent } from "../engines/progress.js";
import { findSevenZip } from "../flr/seven-zip.js";
import { FileBrowser, type FileProgress } from "./file-restore-service.js";
import { openRepository, repositoryOf, type AppContext } from "./app-context.js";
import type { RunContext } from "./run-registry.js";

/** A session nobody used for this long is closed, so its temp files do not pile up. */
export const FILES_IDLE_MS = 30 * 60 * 1000;

interface FileSession {
  browser: FileBrowser;
  repositoryId: string;
  label: string;
  lastUsed: number;
  /** Extracts and archives running on it: an idle session with work in flight is kept. */
  busy: number;
  /** Closed by the user while busy: the browser closes when the last run on it ends. */
  closing: boolean;
}

export class FileSessions {
  readonly #sessions = new Map<string, FileSession>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly log: (message: string) => void,
    private readonly idleMs = FILES_IDLE_MS,
  ) {
    this.#timer = setInterval(() => void this.closeIdle(), Math.min(60_000, idleMs));
    this.#timer.unref();
  }

  add(session: Omit<FileSession, "lastUsed" | "busy" | "closing">): string {
    const sessionId = randomUUID();
    this.#sessions.set(sessionId, { ...session, lastUsed: Date.now(), busy: 0, closing: false });
    return sessionId;
  }

  /** The session, marked as used now. */
  get(sessionId: string): FileSession {
    const session = this.#sessions.get(sessionId);
    if (!session) {
      throw new SnapferryError(
        "not-found",
        `the file browser session ${sessionId} is closed`,
        "It was closed after 30 minutes without use, or Snapferry restarted: open the restore point's files again.",
      );
    }
    session.lastUsed = Date.now();
    return session;
  }

  async close(sessionId: string): Promise<boolean> {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    this.#sessions.delete(sessionId);
    // The wizard closing must not pull the disk from under a restore still running from it.
    if (session.busy > 0) session.closing = true;
    else await this.closeBrowser(session);
    return true;
  }

  /** A run on the session ended: a session closed meanwhile is closed now. */
  async release(session: FileSession): Promise<void> {
    session.busy--;
    session.lastUsed = Date.now();
    if (session.closing && session.busy === 0) await this.closeBrowser(session);
  }

  private async closeBrowser(session: FileSession): Promise<void> {
    await session.browser
      .close()
      .catch((err: unknown) => this.log(`closing ${session.label}: ${String(err)}`));
  }

  async closeIdle(now = Date.now()): Promise<void> {
    for (const [id, session] of this.#sessions) {
      if (session.busy === 0 && now - session.lastUsed >= this.idleMs) await this.close(id);
    }
  }

  /** The app is quitting (its runs have ended): every browser closes, busy or not. */
  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((session) => this.closeBrowser(session)));
  }

  get size(): number {
    return this.#sessions.size;
  }
}

/** Where to get 7-Zip, in the words of the user's own platform. */
export function sevenZipHint(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" || platform === "darwin"
    ? "Snapferry reads the files inside a backup with 7-Zip. Download it from https://www.7-zip.org/download.html, install it, then open the files again."
    : "Snapferry reads the files inside a backup with 7-Zip. Install it with `apt install 7zip` (or your distribution's 7zip package), then open the files again.";
}

async function sevenZipState(): Promise<FilesSessionView["sevenZip"]> {
  try {
    await findSevenZip();
    return { found: true, hint: null };
  } catch {
    return { found: false, hint: sevenZipHint() };
  }
}

export async function openFiles(
  ctx: AppContext,
  sessions: FileSessions,
  input: ApiInput<"files.open">,
): Promise<FilesSessionView> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const { password } = await openRepository(ctx, repo, input.password);
  const sevenZip = await sevenZipState();
  const browser = await FileBrowser.open({
    repo: repo.path,
    ...(password.provider ? { password: password.provider } : {}),
    restorePoint: input.restorePointId,
    ...(input.disk !== undefined ? { disk: input.disk } : {}),
  });
  const label = `disk ${browser.diskIndex} of restore point ${input.restorePointId.slice(0, 8)}`;
  try {
    const partitions = browser.partitions().map((p) => ({ ...p }));
    const sessionId = sessions.add({ browser, repositoryId: repo.repositoryId, label });
    return { sessionId, partitions, sevenZip };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

export async function listFiles(
  sessions: FileSessions,
  input: ApiInput<"files.list">,
): Promise<FileEntryView[]> {
  const entries = await sessions.get(input.sessionId).browser.list(input.path);
  return entries.map((e) => ({ ...e }));
}

export async function searchFiles(
  sessions: FileSessions,
  input: ApiInput<"files.search">,
): Promise<FileEntryView[]> {
  const entries = await sessions.get(input.sessionId).browser.search(input.partition, input.query);
  return entries.map((e) => ({ ...e }));
}

export function startExtract(
  ctx: AppContext,
  sessions: FileSessions,
  input: ApiInput<"files.extract">,
): { runId: string } {
  const target = path.resolve(input.target);
  return startFileRun(ctx, sessions, input.sessionId, input.paths, `to ${target}`, async (browser, run) => {
    const result = await browser.extract(input.paths, target, fileOptions(run));
    run.note(
      `restored ${result.files} file(s) and ${result.dirs} folder(s), ${result.bytes} bytes, to ${result.target}`,
    );
  });
}

export function startArchive(
  ctx: AppContext,
  sessions: FileSessions,
  input: ApiInput<"files.archive">,
): { runId: string } {
  const file = path.resolve(input.file);
  const where = `as ${file}`;
  return startFileRun(ctx, sessions, input.sessionId, input.paths, where, async (browser, run) => {
    const result = await browser.archive(input.paths, file, { ...fileOptions(run), format: input.format });
    run.note(`wrote ${result.files} file(s), ${result.bytes} bytes, into ${result.target}`);
  });
}

function startFileRun(
  ctx: AppContext,
  sessions: FileSessions,
  sessionId: string,
  paths: string[],
  where: string,
  work: (browser: FileBrowser, run: RunContext) => Promise<void>,
): { runId: string } {
  const session = sessions.get(sessionId);
  const what = paths.length === 1 ? (paths[0] ?? "") : `${paths.length} items`;
  session.busy++;
  const run = ctx.runs.start(
    {
      jobId: null,
      kind: "restore",
      title: `Restore ${what} from ${session.label} ${where}`,
      repositoryId: session.repositoryId,
      cancellable: true,
    },
    async (run) => {
      try {
        await work(session.browser, run);
        return {};
      } finally {
        await sessions.release(session);
      }
    },
  );
  return { runId: run.id };
}

function fileOptions(run: RunContext): { onProgress: (p: FileProgress) => void; signal: AbortSignal } {
  return { onProgress: toProgressEvents(run.progress), signal: run.signal };
}

/** FileBrowser progress as the ProgressEvent the progress view shows (rate and ETA added here). */
export function toProgressEvents(listener: (event: ProgressEvent) => void): (p: FileProgress) => void {
  let phase: FileProgress["phase"] | null = null;
  let started = Date.now();
  return (p) => {
    if (p.phase !== phase) {
      phase = p.phase;
      started = Date.now();
    }
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = p.bytesDone / seconds;
    listener({
      operation: "restore",
      bytesTotal: p.bytesTotal,
      bytesDone: p.bytesDone,
      bytesRead: p.bytesDone,
      bytesNew: 0,
      bytesStored: 0,
      bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round(Math.max(0, p.bytesTotal - p.bytesDone) / rate) : null,
      disk: null,
      // The run's end (a run event) tells the UI it is done; a phase reaching 100% is not the end.
      final: false,
    });
  };
}
