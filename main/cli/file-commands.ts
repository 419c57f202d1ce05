/** `snapferry files ls|get`: browse and extract single files of a restore point (file-level restore). */
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { ProgressEvent } from "../engines/progress.js";
import type {
  FileBrowser,
  FileEntry,
  FileProgress,
  PartitionInfo,
} from "../services/file-restore-service.js";
import { common, count, positional, repoOf, str, type Command, type CommandContext } from "./command.js";

const USAGE =
  "files ls --repo DIR RESTORE_POINT [--disk N] [PATH] [--json]\n" +
  "       snapferry files get --repo DIR RESTORE_POINT [--disk N] PATH... (--target DIR | --archive FILE.zip|FILE.7z)\n" +
  "       (both take --temp-dir DIR for the temporary partition file and --7z PATH for the 7-Zip binary;\n" +
  '        on a disk with several partitions, PATH starts with the partition number: "2:/etc/hosts")';

export const fileCommands: Record<string, Command> = {
  files: {
    summary: "browse and extract single files of a restore point (ls, get)",
    usage: USAGE,
    options: {
      ...common,
      disk: { type: "string" },
      target: { type: "string" },
      archive: { type: "string" },
      "temp-dir": { type: "string" },
      "7z": { type: "string" },
    },
    async run(ctx) {
      const sub = positional(ctx, 0, "the files command (ls or get)");
      if (sub !== "ls" && sub !== "get") {
        throw new UsageError(`unknown files command "${sub}"`, `usage: snapferry ${USAGE}`);
      }
      const browser = await openBrowser(ctx);
      try {
        if (sub === "ls") await ls(ctx, browser);
        else await get(ctx, browser);
      } finally {
        ctx.out.endProgress();
        await browser.close();
      }
    },
  },
};

async function openBrowser(ctx: CommandContext): Promise<FileBrowser> {
  const ref = repoOf(ctx);
  const restorePoint = positional(ctx, 1, "RESTORE_POINT (an id from `snapferry snapshots`, or latest)");
  const disk = count(ctx, "disk");
  const tempDir = str(ctx, "temp-dir");
  const sevenZipPath = str(ctx, "7z");
  const { FileBrowser } = await import("../services/file-restore-service.js");
  return FileBrowser.open({
    ...ref,
    restorePoint,
    ...(disk !== undefined ? { disk } : {}),
    ...(tempDir !== undefined ? { tempDir } : {}),
    ...(sevenZipPath !== undefined ? { sevenZipPath } : {}),
  });
}

async function ls(ctx: CommandContext, browser: FileBrowser): Promise<void> {
  const p = ctx.positionals[2];
  if (ctx.positionals.length > 3)
    throw new UsageError("files ls takes one PATH", `usage: snapferry ${USAGE}`);
  const partitions = browser.partitions();
  if (p === undefined && partitions.length > 1) {
    printPartitions(ctx, partitions);
    return;
  }
  const entries = await browser.list(p ?? "/", { onProgress: progress(ctx), signal: ctx.signal });
  ctx.out.endProgress();
  const prefix = p !== undefined && /^\d+:/.test(p) ? (p.split(":")[0] ?? "") + ":" : "";
  for (const e of entries) {
    if (ctx.out.json) ctx.out.object(e);
    else ctx.out.line(entryLine(e, prefix));
  }
}

function printPartitions(ctx: CommandContext, partitions: PartitionInfo[]): void {
  for (const p of partitions) {
    if (ctx.out.json) ctx.out.object({ partition: p });
    else
      ctx.out.line(
        `${`${p.number}:`.padEnd(4)} ${p.type.padEnd(22)} ${formatBytes(p.size).padStart(10)}  start ${p.start}${p.name ? `  "${p.name}"` : ""}`,
      );
  }
  if (!ctx.out.json)
    ctx.out.line(`this disk has ${partitions.length} partitions; list one with PATH like 1:/`);
}

export function entryLine(e: FileEntry, prefix = ""): string {
  const kind = e.type === "dir" ? "d" : e.type === "link" ? "l" : "f";
  const mtime = e.mtime ? e.mtime.replace(/\.000Z$/, "Z") : "-".padEnd(20);
  return `${kind} ${String(e.size).padStart(11)} ${mtime} ${prefix}${e.path}`;
}

async function get(ctx: CommandContext, browser: FileBrowser): Promise<void> {
  const paths = ctx.positionals.slice(2);
  if (paths.length === 0)
    throw new UsageError("files get needs at least one PATH", `usage: snapferry ${USAGE}`);
  const target = str(ctx, "target");
  const archive = str(ctx, "archive");
  if ((target === undefined) === (archive === undefined)) {
    throw new UsageError(
      "files get needs either --target DIR or --archive FILE",
      `usage: snapferry ${USAGE}`,
    );
  }
  if (archive !== undefined && !/\.(zip|7z)$/i.test(archive)) {
    throw new UsageError(`--archive ${archive} must end in .zip or .7z`);
  }
  const options = { onProgress: progress(ctx), signal: ctx.signal };
  const result =
    archive !== undefined
      ? await browser.archive(paths, archive, options)
      : await browser.extract(paths, target ?? "", options);
  ctx.out.endProgress();
  if (ctx.out.json) ctx.out.object(result);
  else
    ctx.out.line(
      `${archive !== undefined ? "archived" : "extracted"} ${result.files} files, ${result.dirs} folders, ${formatBytes(result.bytes)} to ${result.target}`,
    );
}

/** Shows each phase (reading the partition, extracting, archiving) with the CLI's progress bar. */
function progress(ctx: CommandContext): (p: FileProgress) => void {
  let phase: FileProgress["phase"] | undefined;
  let started = Date.now();
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase !== phase) {
      if (phase !== undefined) ctx.out.endProgress();
      phase = p.phase;
      started = now;
    } else if (now - last < 250 && p.bytesDone < p.bytesTotal) return;
    last = now;
    const seconds = Math.max(0.001, (now - started) / 1000);
    const rate = p.bytesDone / seconds;
    const event: ProgressEvent = {
      operation: "restore",
      bytesTotal: p.bytesTotal,
      bytesDone: Math.round(p.bytesDone),
      bytesRead: Math.round(p.bytesDone),
      bytesNew: 0,
      bytesStored: 0,
      bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round((p.bytesTotal - p.bytesDone) / rate) : null,
      disk: null,
      final: p.bytesDone >= p.bytesTotal,
    };
    ctx.out.progress(event);
  };
}
