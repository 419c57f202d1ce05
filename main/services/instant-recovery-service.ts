/**
 * Instant recovery: a restore point's disk served over NBD straight from the repository, with
 * writes kept in a copy-on-write overlay file (the repository is never modified), and "finalize",
 * which turns the overlay + restore point into a permanent disk file. See docs/instant-recovery.md.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SnapferryError, errnoCode } from "../common/errors.js";
import type { RepoRef } from "./repository-service.js";
import type { WriteFormat } from "../formats/disk-image.js";
import type { ProgressListener } from "../engines/progress.js";
import { NbdExport } from "../nbd/export.js";
import { finalizeToFile } from "../nbd/finalize.js";
import { Overlay, mapPath } from "../nbd/overlay.js";
import { lockOverlay, type OverlayLock } from "../nbd/overlay-lock.js";
import { NbdServer } from "../nbd/server.js";
import { openStoredDisk, type OpenedStoredDisk } from "./stored-disk-service.js";

export interface ServeRequest extends RepoRef {
  restorePoint: string;
  disk?: number;
  /** "127.0.0.1" by default; anything else needs allowRemote. */
  host?: string;
  allowRemote?: boolean;
  /** 10809 by default; 0 picks a free port. */
  port?: number;
  /** Overlay file; a new one beside the OS temp dir when absent ("<tmp>/snapferry-<rp8>-disk<N>.overlay"). */
  overlay?: string;
  /** Export name; "<rp8>-disk<N>" by default. */
  exportName?: string;
  log?: (line: string) => void;
}

export interface InstantRecoveryStatus {
  url: string; // nbd://127.0.0.1:PORT/NAME
  host: string;
  port: number;
  exportName: string;
  overlay: string;
  overlayBytes: number; // bytes written into the overlay so far (allocated blocks × block size)
  clients: number; // open connections
  restorePoint: string;
  disk: number;
  size: number;
}

export interface RunningInstantRecovery {
  status(): InstantRecoveryStatus;
  /** Stops listening, ends connections after flushing the overlay, releases the lock. */
  stop(): Promise<void>;
}

export const DEFAULT_NBD_PORT = 10809;
const NO_TLS =
  "This server has no TLS: anyone who can reach the port can read and write the disk, unencrypted.";

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses a non-loopback address unless allowRemote, and warns when it is allowed. */
function checkHost(host: string, allowRemote: boolean, log: (line: string) => void): void {
  if (isLoopback(host)) return;
  if (!allowRemote) {
    throw new SnapferryError(
      "usage",
      `refusing to serve on ${host}: only the loopback address (127.0.0.1) is allowed without --allow-remote`,
      `${NO_TLS} Use an SSH tunnel to reach 127.0.0.1 from another machine, or pass --allow-remote on a trusted network.`,
    );
  }
  log(`warning: serving on ${host} without TLS (not implemented). ${NO_TLS}`);
}

function nbdUrl(host: string, port: number, name: string): string {
  const h = host.includes(":") ? `[${host}]` : host;
  return `nbd://${h}:${port}/${encodeURIComponent(name)}`;
}

/** Everything an instant recovery holds open, closed in reverse order however far opening got. */
class Held {
  opened?: OpenedStoredDisk;
  lock?: OverlayLock;
  overlay?: Overlay;
  async close(): Promise<void> {
    const steps = [() => this.overlay?.close(), () => this.lock?.release(), () => this.opened?.close()];
    let failure: unknown;
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

async function openDevice(
  request: RepoRef & { restorePoint: string; disk?: number; overlay?: string },
  operation: string,
  mustExist: boolean,
): Promise<{ held: Held; exp: NbdExport; overlayPath: string }> {
  const held = new Held();
  try {
    held.opened = await openStoredDisk({ ...request, operation });
    const { restorePoint, record, disk } = held.opened;
    const overlayPath = path.resolve(
      request.overlay ??
        path.join(os.tmpdir(), `snapferry-${restorePoint.id.slice(0, 8)}-disk${record.index}.overlay`),
    );
    if (mustExist) await requireOverlay(overlayPath);
    held.lock = await lockOverlay(overlayPath, operation);
    held.overlay = await Overlay.open(overlayPath, {
      restorePoint: restorePoint.id,
      disk: record.index,
      size: disk.size,
    });
    return { held, exp: new NbdExport(disk, held.overlay), overlayPath };
  } catch (err) {
    await held.close().catch(() => undefined);
    throw err;
  }
}

async function requireOverlay(file: string): Promise<void> {
  try {
    await fs.stat(mapPath(file));
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw err;
    throw new SnapferryError(
      "not-found",
      `overlay ${file} does not exist (or its map ${mapPath(file)} is missing)`,
      "Give the --overlay file that `snapferry serve` used.",
    );
  }
}

export async function startInstantRecovery(request: ServeRequest): Promise<RunningInstantRecovery> {
  const log = request.log ?? (() => undefined);
  const host = request.host ?? "127.0.0.1";
  checkHost(host, request.allowRemote === true, log);
  const port = request.port ?? DEFAULT_NBD_PORT;
  const { held, exp, overlayPath } = await openDevice(request, "instant recovery", false);
  const { restorePoint, record } = held.opened as OpenedStoredDisk;
  const exportName = request.exportName ?? `${restorePoint.id.slice(0, 8)}-disk${record.index}`;
  let server: NbdServer;
  try {
    if (exportName.length === 0 || Buffer.byteLength(exportName) > 4096) {
      throw new SnapferryError(
        "usage",
        `the export name must have 1 to 4096 bytes`,
        "Give a shorter --name.",
      );
    }
    if ((held.overlay?.writtenBlocks ?? 0) > 0) {
      log(`resuming overlay ${overlayPath}: ${held.overlay?.writtenBlocks ?? 0} blocks written before`);
    }
    server = await NbdServer.listen({ host, port, exportName, exp, log });
  } catch (err) {
    await held.close().catch(() => undefined);
    throw listenError(err, host, port);
  }
  let stopping: Promise<void> | undefined;
  return {
    status: () => ({
      url: nbdUrl(host, server.port, exportName),
      host,
      port: server.port,
      exportName,
      overlay: overlayPath,
      overlayBytes: held.overlay?.dataBytes ?? 0,
      clients: server.clients,
      restorePoint: restorePoint.id,
      disk: record.index,
      size: exp.size,
    }),
    stop: () =>
      (stopping ??= (async () => {
        try {
          await server.close();
        } finally {
          await held.close();
        }
      })()),
  };
}

function listenError(err: unknown, host: string, port: number): unknown {
  const code = errnoCode(err);
  if (code === "EADDRINUSE") {
    return new SnapferryError(
      "usage",
      `port ${port} on ${host} is already in use`,
      "Choose another with --port, or --port 0 for a free one.",
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EACCES") {
    return new SnapferryError(
      "usage",
      `cannot listen on ${host}:${port} (${code})`,
      "Check --listen and --port.",
    );
  }
  return err;
}

export interface FinalizeRequest extends RepoRef {
  restorePoint: string;
  disk?: number;
  overlay: string;
  target: string;
  format?: WriteFormat;
  overwrite?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Writes restore point + overlay to `target`; `bytes` is the disk's size. The overlay is kept. */
export async function finalizeInstantRecovery(
  request: FinalizeRequest,
): Promise<{ target: string; bytes: number }> {
  const { held, exp } = await openDevice(request, "finalize instant recovery", true);
  try {
    const record = (held.opened as OpenedStoredDisk).record;
    await finalizeToFile({
      exp,
      disk: { index: record.index, name: record.name },
      target: request.target,
      format: request.format ?? "raw",
      overwrite: request.overwrite === true,
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return { target: request.target, bytes: exp.size };
  } finally {
    await held.close();
  }
}
