/**
 * Append-only mode, for ransomware protection (as borg's): while it is on, backups and copies add
 * restore points, but forget and prune refuse to delete or rewrite anything. Removing data needs
 * an unlock that proves the password (it is sealed with the repository's key, which only the
 * password unwraps), lasts a set time, and is logged in the repository with every use of it.
 *
 * What it protects against: Snapferry itself being made to delete, by a scheduled job, a script or
 * an app session that holds a saved password but not the person who knows it. What it cannot stop:
 * someone with raw access to the files deleting them. For that, keep a copy where the client
 * cannot write (a rotated USB disk, NAS snapshots, WORM storage); docs/repository-format.md says so.
 */
import { appendFile, open, readFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import path from "node:path";
import { CorruptDataError, SnapferryError, errnoCode } from "../common/errors.js";
import { removeDurably, writeFileDurably } from "./durable-fs.js";
import { APPEND_ONLY_LOG_FILE, APPEND_ONLY_UNLOCK_FILE, CONFIG_FILE, MAGIC } from "./file-formats.js";
import type { Repository } from "./repository.js";
import { decodeSealedJson, encodeSealedJson } from "./sealed-file.js";

export type AppendOnlyAction = "on" | "off" | "unlock" | "relock" | "forget" | "prune" | "refused";

export interface AppendOnlyLogEntry {
  time: string;
  action: AppendOnlyAction;
  host: string;
  user: string;
  pid: number;
  detail?: string;
}

export interface AppendOnlyStatus {
  on: boolean;
  /** When the current unlock ends; null when locked (or when the mode is off). */
  unlockedUntil: string | null;
  log: AppendOnlyLogEntry[];
}

const MAX_UNLOCK_MINUTES = 24 * 60;

function requireEncrypted(repo: Repository): void {
  if (!repo.sealer.encrypted) {
    throw new SnapferryError(
      "usage",
      `repository ${repo.path} is not encrypted, so append-only mode has no password to unlock it with`,
      "Use an encrypted repository (snapferry init without --encryption none) for append-only mode.",
    );
  }
}

/** Turns the mode on or off. Turning it off is as strong as an unlock: it needs the open key too. */
export async function setAppendOnly(repo: Repository, on: boolean): Promise<void> {
  requireEncrypted(repo);
  if (!on) await assertMayRemove(repo, "off");
  const config = { ...repo.config };
  if (on) config.appendOnly = true;
  else delete config.appendOnly;
  await writeFileDurably(
    path.join(repo.path, CONFIG_FILE),
    Buffer.from(JSON.stringify(config, null, 2) + "\n"),
    repo.dir("tmp"),
  );
  await log(repo, on ? "on" : "off");
}

/** Allows forget and prune for `minutes`; the caller has opened `repo` with its password. */
export async function unlockAppendOnly(repo: Repository, minutes: number): Promise<Date> {
  requireEncrypted(repo);
  if (!repo.config.appendOnly) {
    throw new SnapferryError(
      "usage",
      `repository ${repo.path} is not in append-only mode: nothing to unlock`,
    );
  }
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_UNLOCK_MINUTES) {
    throw new SnapferryError("usage", `an unlock lasts 1 to ${MAX_UNLOCK_MINUTES} minutes, not ${minutes}`);
  }
  const until = new Date(Date.now() + minutes * 60_000);
  const record = { version: 1, until: until.toISOString(), ...who() };
  await writeFileDurably(
    path.join(repo.path, APPEND_ONLY_UNLOCK_FILE),
    encodeSealedJson(MAGIC.unlock, repo.sealer, record),
    repo.dir("tmp"),
  );
  await log(repo, "unlock", `until ${record.until}`);
  return until;
}

/** Ends an unlock before its time. */
export async function relockAppendOnly(repo: Repository): Promise<void> {
  await removeDurably(path.join(repo.path, APPEND_ONLY_UNLOCK_FILE));
  await log(repo, "relock");
}

/** What append-only mode guards: deleting restore points, deleting or rewriting packs, turning it off. */
export type GuardedOperation = "forget" | "prune" | "off";

const DESCRIPTIONS: Record<GuardedOperation, string> = {
  forget: "forgetting restore points",
  prune: "prune",
  off: "turning append-only mode off",
};

/** Throws unless `operation` is allowed: the mode is off, or an unlock is in force. Refusals are logged. */
export async function assertMayRemove(
  repo: Repository,
  operation: GuardedOperation,
  what?: string,
): Promise<void> {
  if (!repo.config.appendOnly) return;
  const until = await unlockedUntil(repo);
  const subject = what ? ` (${what})` : "";
  if (until !== null) {
    if (operation !== "off")
      await log(repo, operation, `${what ?? ""} under the unlock until ${until.toISOString()}`.trim());
    return;
  }
  await log(repo, "refused", `${DESCRIPTIONS[operation]}${subject}`);
  throw new SnapferryError(
    "append-only",
    `repository ${repo.path} is append-only: ${DESCRIPTIONS[operation]}${subject} refused`,
    `Unlock it for a while with \`snapferry append-only unlock --repo ${repo.path}\` (it asks for the password and is logged), then run it again.`,
  );
}

export async function appendOnlyStatus(repo: Repository): Promise<AppendOnlyStatus> {
  const until = repo.config.appendOnly ? await unlockedUntil(repo) : null;
  return {
    on: repo.config.appendOnly === true,
    unlockedUntil: until?.toISOString() ?? null,
    log: await readLog(repo),
  };
}

async function unlockedUntil(repo: Repository): Promise<Date | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(repo.path, APPEND_ONLY_UNLOCK_FILE));
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return null;
    throw err;
  }
  let value: unknown;
  try {
    // Sealed with the repository's key: a forged or damaged unlock file does not open.
    value = decodeSealedJson(MAGIC.unlock, repo.sealer, bytes, "the append-only unlock");
  } catch (err) {
    if (err instanceof CorruptDataError) return null;
    throw err;
  }
  const until = typeof value === "object" && value !== null && "until" in value ? value.until : undefined;
  const time = typeof until === "string" ? new Date(until) : null;
  return time && time.getTime() > Date.now() ? time : null;
}

function who(): { host: string; user: string; pid: number } {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container): the host and pid still say where it came from.
  }
  return { host: hostname(), user, pid: process.pid };
}

async function log(repo: Repository, action: AppendOnlyAction, detail?: string): Promise<void> {
  const entry: AppendOnlyLogEntry = {
    time: new Date().toISOString(),
    action,
    ...who(),
    ...(detail ? { detail } : {}),
  };
  const file = path.join(repo.path, APPEND_ONLY_LOG_FILE);
  await appendFile(file, JSON.stringify(entry) + "\n");
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readLog(repo: Repository): Promise<AppendOnlyLogEntry[]> {
  let text: string;
  try {
    text = await readFile(path.join(repo.path, APPEND_ONLY_LOG_FILE), "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return [];
    throw err;
  }
  const entries: AppendOnlyLogEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      entries.push(JSON.parse(line) as AppendOnlyLogEntry);
    } catch {
      // A torn last line (a crash mid-append) is skipped, the rest still read.
    }
  }
  return entries;
}
