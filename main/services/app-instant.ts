/**
 * "Run from backup" in the app: instant recoveries (a restore point's disk served over NBD, writes
 * kept in an overlay) held here by session id, listed live for the UI, stopped on request or when
 * the app quits, and finalized into a permanent disk file in a background run.
 *
 * What the running VM wrote is never thrown away behind the user's back: Stop and quitting the app
 * keep the overlay (in the app's data folder, not the temp folder a reboot may clear), and only
 * "Stop and discard" removes it. Finalize removes it once the disk file is written.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { ApiInput, InstantView } from "../../preload/contract.js";
import { SnapferryError } from "../common/errors.js";
import type { PasswordProvider } from "../repository/repository.js";
import {
  finalizeInstantRecovery,
  startInstantRecovery,
  type RunningInstantRecovery,
} from "./instant-recovery-service.js";
import { openRepository, repositoryOf, type AppContext } from "./app-context.js";
import { appDataDir } from "./app-data-dir.js";

/** The usual NBD port; when it is taken (another recovery, say) a free one is picked. */
const NBD_PORT = 10809;

interface InstantSession {
  running: RunningInstantRecovery;
  repositoryId: string;
  repoPath: string;
  password: PasswordProvider | undefined;
}

export class InstantSessions {
  readonly #sessions = new Map<string, InstantSession>();

  constructor(private readonly log: (message: string) => void) {}

  add(session: InstantSession): string {
    const sessionId = randomUUID();
    this.#sessions.set(sessionId, session);
    return sessionId;
  }

  get(sessionId: string): InstantSession {
    const session = this.#sessions.get(sessionId);
    if (!session) {
      throw new SnapferryError(
        "not-found",
        `the instant recovery ${sessionId} is not running`,
        "It was stopped or finalized, or Snapferry restarted: start “Run from backup” again.",
      );
    }
    return session;
  }

  /** Stops serving and forgets the session; the overlay stays (finalize needs it) unless `discard`. */
  async stop(sessionId: string, discard: boolean): Promise<InstantSession | null> {
    const session = this.#sessions.get(sessionId);
    if (!session) return null;
    this.#sessions.delete(sessionId);
    const overlay = session.running.status().overlay;
    await session.running.stop();
    if (discard) await removeOverlay(overlay, this.log);
    return session;
  }

  list(): InstantView[] {
    return [...this.#sessions].map(([sessionId, s]) => view(sessionId, s));
  }

  view(sessionId: string): InstantView {
    return view(sessionId, this.get(sessionId));
  }

  /** The app is quitting: every recovery stops; its overlay is kept, and its path logged. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.#sessions.entries()].map(([id, session]) =>
        this.stop(id, false)
          .then(() =>
            this.log(
              `instant recovery stopped with the app; its writes are kept in ${session.running.status().overlay}`,
            ),
          )
          .catch((err: unknown) => this.log(`stopping instant recovery ${id}: ${String(err)}`)),
      ),
    );
  }
}

function view(sessionId: string, session: InstantSession): InstantView {
  return { ...session.running.status(), sessionId, repositoryId: session.repositoryId };
}

async function removeOverlay(overlay: string, log: (message: string) => void): Promise<void> {
  for (const file of [overlay, `${overlay}.map`]) {
    await rm(file, { force: true }).catch((err: unknown) => log(`removing ${file}: ${String(err)}`));
  }
}

export async function startInstant(
  ctx: AppContext,
  sessions: InstantSessions,
  input: ApiInput<"instant.start">,
): Promise<InstantView> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const { password } = await openRepository(ctx, repo, input.password);
  const request = {
    repo: repo.path,
    ...(password.provider ? { password: password.provider } : {}),
    restorePoint: input.restorePointId,
    ...(input.disk !== undefined ? { disk: input.disk } : {}),
    overlay: await overlayPath(input.restorePointId, input.disk ?? 0),
    log: (line: string) => ctx.log(`instant recovery ${input.restorePointId.slice(0, 8)}: ${line}`),
  };
  let running: RunningInstantRecovery;
  try {
    running = await startInstantRecovery({ ...request, port: input.port ?? NBD_PORT });
  } catch (err) {
    if (input.port !== undefined || !portTaken(err)) throw err;
    running = await startInstantRecovery({ ...request, port: 0 });
  }
  const sessionId = sessions.add({
    running,
    repositoryId: repo.repositoryId,
    repoPath: repo.path,
    password: password.provider,
  });
  return sessions.view(sessionId);
}

/** A new overlay in the app's data folder: it outlives a reboot, and never picks up an old one. */
async function overlayPath(restorePointId: string, disk: number): Promise<string> {
  const dir = path.join(appDataDir(), "instant-recovery");
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return path.join(dir, `${restorePointId.slice(0, 8)}-disk${disk}-${stamp}.overlay`);
}

function portTaken(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${(err as { code?: unknown }).code ?? ""}` : "";
  return /EADDRINUSE|port \d+ .*already in use/i.test(text);
}

export async function stopInstant(
  sessions: InstantSessions,
  input: ApiInput<"instant.stop">,
): Promise<{ stopped: boolean }> {
  return { stopped: (await sessions.stop(input.sessionId, input.discard === true)) !== null };
}

/** Stops serving (so the overlay no longer changes), then writes the disk file in the background. */
export async function startFinalize(
  ctx: AppContext,
  sessions: InstantSessions,
  input: ApiInput<"instant.finalize">,
): Promise<{ runId: string }> {
  const status = sessions.view(input.sessionId);
  const target = path.resolve(input.path);
  const session = await sessions.stop(input.sessionId, false);
  if (!session)
    throw new SnapferryError("internal", `instant recovery ${input.sessionId} vanished while stopping`);
  const run = ctx.runs.start(
    {
      jobId: null,
      kind: "restore",
      title: `Finalize the instant recovery of ${status.restorePoint.slice(0, 8)} disk ${status.disk} to ${target}`,
      repositoryId: session.repositoryId,
      // The overlay is kept when cancelled, so stopping part-way loses nothing but the time spent.
      cancellable: true,
    },
    async (run) => {
      run.note(`the overlay with the changes made while running is ${status.overlay}`);
      const result = await finalizeInstantRecovery({
        repo: session.repoPath,
        ...(session.password ? { password: session.password } : {}),
        restorePoint: status.restorePoint,
        disk: status.disk,
        overlay: status.overlay,
        target,
        format: input.format,
        onProgress: run.progress,
        signal: run.signal,
      });
      run.note(`wrote ${result.target} (${result.bytes} bytes) with the changes made while running`);
      await removeOverlay(status.overlay, ctx.log);
      run.note(`removed the overlay ${status.overlay}`);
      return {};
    },
  );
  return { runId: run.id };
}
