/**
 * A restore target that streams a disk into a datastore file with one `/folder` PUT: the restore
 * engine's chunks, in order and holes included (as zeros), become the request body of a known
 * Content-Length. Backpressure reaches the engine, so at most BUFFER_BYTES wait here whatever the
 * disk's size; a PUT that fails mid-way fails the next write at once.
 */
import type { IncomingMessage } from "node:http";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { SnapferryError } from "../../common/errors.js";
import { formatBytes } from "../../common/size.js";
import type { RestoreTarget } from "../../engines/restore-target.js";
import { folderUrl, formatDatastorePath, type DatastorePath } from "./datastore-http.js";
import { parseMoRef, type MoRef } from "./moref.js";
import { waitForTask } from "./tasks.js";
import { requireReturnval, type VimClient } from "./vim-client.js";

/** What the body stream holds before a write waits (the socket keeps its own small buffer too). */
const BUFFER_BYTES = 2 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);
const ERROR_BODY_LIMIT = 4096;

/** A file on a datastore of one datacenter: where a /folder request goes. */
export interface DatastoreFile extends DatastorePath {
  /** The datacenter's inventory path, the `dcPath` of /folder URLs. */
  datacenterPath: string;
}

export function fileUrl(file: DatastoreFile): string {
  return folderUrl(file.datacenterPath, file);
}

export interface UploadOptions {
  file: DatastoreFile;
  /** The file's whole size: writes cover [0, dataSize), finish() pads with zeros up to here. */
  size: number;
  /** "disk 0 (disk.img)", for messages. */
  label: string;
  signal?: AbortSignal;
}

type Outcome = { response: IncomingMessage } | { error: unknown };

/** An upload that failed: names the disk, the file and how far it got. */
export class DatastoreUploadError extends SnapferryError {
  constructor(message: string, hint: string, code: SnapferryError["code"], cause?: unknown) {
    super(code, message, hint, { cause });
  }
}

export function openDatastoreUpload(client: VimClient, options: UploadOptions): DatastoreUpload {
  return new DatastoreUpload(client, options);
}

export class DatastoreUpload implements RestoreTarget {
  /** The file is written end to end, so a hole must be sent as zeros like any other data. */
  readonly writeHoles = true;
  readonly #client: VimClient;
  readonly #options: UploadOptions;
  readonly #body = new PassThrough({ highWaterMark: BUFFER_BYTES });
  readonly #abort = new AbortController();
  readonly #settled: Promise<Outcome>;
  #outcome: Outcome | undefined;
  #accepted = 0;

  constructor(client: VimClient, options: UploadOptions) {
    this.#client = client;
    this.#options = options;
    // Failures surface through #settled; without a listener a destroyed body would crash the process.
    this.#body.on("error", () => undefined);
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#abort.signal])
      : this.#abort.signal;
    this.#settled = client
      .httpRequest("PUT", fileUrl(options.file), {
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(options.size) },
        body: this.#body,
        signal,
      })
      .then(
        (response): Outcome => ({ response }),
        (error: unknown): Outcome => ({ error }),
      );
    void this.#settled.then((outcome) => (this.#outcome = outcome));
  }

  /** Bytes handed to the connection so far (those still buffered here excluded). */
  get bytesSent(): number {
    return Math.max(0, this.#accepted - this.#body.writableLength - this.#body.readableLength);
  }

  async write(position: number, data: Buffer): Promise<void> {
    if (position !== this.#accepted || position + data.length > this.#options.size) {
      throw new SnapferryError(
        "internal",
        `the upload of ${this.#options.label} got ${data.length} bytes at offset ${position}, expected offset ${this.#accepted}`,
      );
    }
    // The body stream keeps what it is given until the connection takes it, while the caller
    // reuses `data` as soon as this returns: the stream gets a copy.
    await this.#send(Buffer.from(data));
  }

  async finish(): Promise<void> {
    while (this.#accepted < this.#options.size) {
      await this.#send(ZEROS.subarray(0, Math.min(ZEROS.length, this.#options.size - this.#accepted)));
    }
    this.#body.end();
    const outcome = await this.#settled;
    if ("error" in outcome) throw this.#failed(outcome.error);
    const { response } = outcome;
    const status = response.statusCode ?? 0;
    const body = await readSome(response);
    if (status !== 200 && status !== 201 && status !== 204) throw this.#refused(status, body);
  }

  async discard(): Promise<void> {
    this.#abort.abort();
    this.#body.destroy();
    const outcome = await this.#settled;
    if ("response" in outcome) outcome.response.resume();
  }

  async #send(data: Buffer): Promise<void> {
    this.#throwIfSettled();
    this.#accepted += data.length;
    if (this.#body.write(data)) return;
    const waiting = new AbortController();
    const drained = once(this.#body, "drain", { signal: waiting.signal }).then(() => undefined);
    const early = await Promise.race([drained, this.#settled]);
    waiting.abort();
    if (early) this.#throwIfSettled(early);
  }

  /** The server answered, or the connection failed, before the body was complete. */
  #throwIfSettled(outcome = this.#outcome): void {
    if (!outcome) return;
    if ("error" in outcome) throw this.#failed(outcome.error);
    outcome.response.resume();
    throw this.#refused(outcome.response.statusCode ?? 0, undefined);
  }

  #where(): string {
    const { label, file, size } = this.#options;
    return `uploading ${label} to ${formatDatastorePath(file)} on ${this.#client.server} failed after ${formatBytes(this.bytesSent)} of ${formatBytes(size)} were sent`;
  }

  #failed(error: unknown): SnapferryError {
    if (error instanceof SnapferryError && error.code === "cancelled") return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new DatastoreUploadError(
      `${this.#where()}: ${reason}`,
      "Check the network path to the host and that it is up, then run the restore again.",
      error instanceof SnapferryError ? error.code : "network",
      error,
    );
  }

  #refused(status: number, body: Buffer | undefined): SnapferryError {
    const detail = body?.toString("utf8").replace(/\s+/g, " ").trim().slice(0, 200);
    const answer = `the server answered HTTP ${status}${detail ? ` (${detail})` : ""}`;
    return new DatastoreUploadError(
      `${this.#where()}: ${answer}`,
      refusalHint(status, this.#client),
      refusalCode(status),
    );
  }
}

function refusalCode(status: number): SnapferryError["code"] {
  if (status === 401 || status === 403) return "vsphere-permission";
  if (status === 507 || status === 413) return "disk-full";
  return "target";
}

export function refusalHint(status: number, client: VimClient): string {
  if (status === 401 || status === 403) {
    return `Give ${client.username} the privilege Datastore > Low level file operations (Datastore.FileManagement) on the datastore.`;
  }
  if (status === 507 || status === 413) return "Free space on the datastore, or restore to another one.";
  if (status === 404)
    return "Check that the datacenter and datastore still exist, and that the host serves /folder.";
  return "Check the host's logs (hostd) for why it refused the upload.";
}

/**
 * Detects, before any disk is sent, whether the server takes datastore uploads through /folder: a
 * 0-byte PUT of `probe`, which is then deleted. Servers or datastores that refuse it would need a
 * streamOptimized import through an NFC lease, which Snapferry does not have yet: the error says so.
 */
export async function checkDatastoreUploads(
  client: VimClient,
  probe: DatastoreFile,
  datacenter: MoRef,
): Promise<string | undefined> {
  const where = formatDatastorePath(probe);
  const response = await client.httpRequest("PUT", fileUrl(probe), {
    headers: { "Content-Type": "application/octet-stream" },
    body: Buffer.alloc(0),
  });
  const status = response.statusCode ?? 0;
  await readSome(response);
  if (status === 401 || status === 403) {
    throw new DatastoreUploadError(
      `${client.server} refused a test upload to ${where} (HTTP ${status}); nothing was created`,
      refusalHint(status, client),
      "vsphere-permission",
    );
  }
  if (status < 200 || status > 299) {
    throw new DatastoreUploadError(
      `${client.server} does not accept datastore uploads through /folder (HTTP ${status} for a test file ${where}), ` +
        "and importing a streamOptimized VMDK through NFC, the other way in, is not built into Snapferry yet; nothing was created",
      "Restore to a host or datastore that accepts /folder uploads, or restore the disks to VMDK files " +
        "(snapferry restore --target DIR --vm-folder) and import them with the vSphere Client.",
      "target",
    );
  }
  return deleteDatastoreFile(client, probe, datacenter);
}

/** Deletes a datastore file; returns a note instead of failing, since a stray test file harms nothing. */
async function deleteDatastoreFile(
  client: VimClient,
  file: DatastoreFile,
  datacenter: MoRef,
): Promise<string | undefined> {
  const where = formatDatastorePath(file);
  const fileManager = client.serviceContent.fileManager;
  if (!fileManager)
    return `the empty test file ${where} was left (the server has no file manager); delete it by hand`;
  try {
    const answer = await client.invoke("DeleteDatastoreFile_Task", {
      _this: fileManager,
      name: where,
      datacenter,
    });
    await waitForTask(client, parseMoRef(requireReturnval(answer, client.server), client.server), {
      timeoutMs: 60_000,
    });
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return `the empty test file ${where} could not be deleted (${reason}); delete it by hand`;
  }
}

/** The size the server reports for a datastore file (HEAD), or undefined when it gives none. */
export async function datastoreFileSize(client: VimClient, file: DatastoreFile): Promise<number | undefined> {
  const response = await client.httpRequest("HEAD", fileUrl(file));
  response.resume();
  const length = Number(response.headers["content-length"]);
  return response.statusCode === 200 && Number.isSafeInteger(length) ? length : undefined;
}

/** The start of an answer's body, for an error message; the rest is drained so the socket is freed. */
async function readSome(response: IncomingMessage): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of response) {
      const chunk = part as Buffer;
      if (size < ERROR_BODY_LIMIT) parts.push(chunk.subarray(0, ERROR_BODY_LIMIT - size));
      size += chunk.length;
    }
  } catch {
    // The answer's status is what matters; a body cut short only loses detail.
  }
  return Buffer.concat(parts);
}
