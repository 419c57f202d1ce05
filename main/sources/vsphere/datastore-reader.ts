/**
 * Reads a disk's flat extent from a datastore through `/folder` with HTTP Range requests: one
 * request per read, so the backup engine's window of reads in flight becomes as many ranges in
 * flight, over the pinned agent with the session cookie. Each answer is checked (206 and the
 * Content-Range asked for) and copied straight into the caller's buffer, so no more than the range
 * is ever held. Network errors, cut answers and 5xx are retried with exponential backoff.
 */
import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { CancelledError, SnapferryError } from "../../common/errors.js";
import { folderUrl, formatDatastorePath, type DatastorePath } from "./datastore-http.js";
import type { VimClient } from "./vim-client.js";
import { VsphereNetworkError, VsphereTimeoutError } from "./vsphere-errors.js";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait before the second try; it doubles for each later one. */
  firstDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 250 };

export interface ReaderOptions {
  client: VimClient;
  datacenterPath: string;
  file: DatastorePath;
  /** "disk 0 (Hard disk 1)", for messages. */
  label: string;
  retry?: RetryPolicy;
  signal?: AbortSignal;
}

/** A failure worth trying again: the link, the server's load. */
class TransientError extends Error {}

/** A read that failed for good: names the disk, the file, the offset and the cause. */
export class DiskReadError extends SnapferryError {
  constructor(code: SnapferryError["code"], message: string, hint: string, cause?: unknown) {
    super(code, message, hint, { cause });
  }
}

export class DatastoreRangeReader {
  readonly #options: ReaderOptions;
  readonly #url: string;
  readonly #retry: RetryPolicy;
  /** The flat file's size; reads past it are zeros (see open()). */
  fileSize = 0;

  private constructor(options: ReaderOptions) {
    this.#options = options;
    this.#url = folderUrl(options.datacenterPath, options.file);
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  get where(): string {
    return formatDatastorePath(this.#options.file);
  }

  /**
   * Opens the file and learns its size from a one-byte range. A flat file shorter than the disk
   * (vcsim leaves them empty until written) reads as zeros past its end, as a sparse file does.
   */
  static async open(options: ReaderOptions): Promise<DatastoreRangeReader> {
    const reader = new DatastoreRangeReader(options);
    reader.fileSize = await reader.withRetries(0, () => reader.probeSize());
    return reader;
  }

  /** Fills `target` from `offset`. Safe to call concurrently: each call is its own request. */
  async read(offset: number, target: Buffer): Promise<void> {
    const end = Math.min(offset + target.length, Math.max(this.fileSize, offset));
    if (end < offset + target.length) target.fill(0, end - offset);
    if (end <= offset) return;
    const slice = target.subarray(0, end - offset);
    await this.withRetries(offset, () => this.readOnce(offset, slice));
  }

  private async withRetries<T>(offset: number, attempt: () => Promise<T>): Promise<T> {
    let delay = this.#retry.firstDelayMs;
    for (let tried = 1; ; tried++) {
      this.throwIfCancelled();
      try {
        return await attempt();
      } catch (err) {
        const transient = err instanceof TransientError || isNetworkFailure(err);
        if (!transient) throw err;
        if (tried >= this.#retry.attempts) throw this.gaveUp(offset, tried, err);
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  private throwIfCancelled(): void {
    if (this.#options.signal?.aborted) throw new CancelledError(`reading ${this.#options.label}`);
  }

  private gaveUp(offset: number, tries: number, cause: unknown): DiskReadError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new DiskReadError(
      "network",
      `reading ${this.#options.label} (${this.where}) from ${this.#options.client.server} at offset ${offset} ` +
        `failed after ${tries} tries: ${why}`,
      "Check the network path to the host and the host's load (hostd), then run the backup again; " +
        "the backup snapshot is removed either way.",
      cause,
    );
  }

  private async request(range: string): Promise<IncomingMessage> {
    const { client, signal } = this.#options;
    return client.httpRequest("GET", this.#url, { headers: { Range: range }, ...(signal ? { signal } : {}) });
  }

  private async probeSize(): Promise<number> {
    const response = await this.request("bytes=0-0");
    const status = response.statusCode ?? 0;
    response.resume();
    const total = contentRangeTotal(response.headers["content-range"]);
    if (status === 416) return total ?? 0; // an empty file: no byte 0
    this.checkStatus(status, 0);
    if (status === 200) return Number(response.headers["content-length"] ?? "0");
    if (total === undefined) throw this.protocolError("a 206 answer without Content-Range", 0);
    return total;
  }

  private async readOnce(offset: number, target: Buffer): Promise<void> {
    const last = offset + target.length - 1;
    const response = await this.request(`bytes=${offset}-${last}`);
    const status = response.statusCode ?? 0;
    try {
      this.checkStatus(status, offset);
      const wholeFile = status === 200 && offset === 0 && target.length === this.fileSize;
      if (status !== 206 && !wholeFile) {
        throw this.protocolError(`HTTP ${status} instead of 206 Partial Content`, offset);
      }
      if (status === 206) this.checkContentRange(response.headers["content-range"], offset, last);
      await receive(response, target);
    } finally {
      if (!response.complete) response.destroy();
    }
  }

  private checkStatus(status: number, offset: number): void {
    if (status >= 500) throw new TransientError(`the server answered HTTP ${status}`);
    if (status === 404) {
      throw new DiskReadError(
        "not-found",
        `${this.where} (${this.#options.label}) does not exist on ${this.#options.client.server}`,
        "The disk file was moved or deleted during the backup; check the VM's files in the datastore browser.",
      );
    }
    if (status === 401 || status === 403) {
      throw new DiskReadError(
        "vsphere-permission",
        `${this.#options.client.server} refused to serve ${this.where} (HTTP ${status}) to ${this.#options.client.username}`,
        "Give the user the privilege Datastore > Browse datastore (Datastore.Browse) on the VM's datastore.",
      );
    }
    if (status !== 200 && status !== 206) {
      throw this.protocolError(`HTTP ${status}`, offset);
    }
  }

  private checkContentRange(header: string | undefined, offset: number, last: number): void {
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header ?? "");
    if (!match || Number(match[1]) !== offset || Number(match[2]) !== last) {
      throw this.protocolError(`Content-Range "${header ?? ""}" for the range ${offset}-${last}`, offset);
    }
  }

  private protocolError(what: string, offset: number): DiskReadError {
    return new DiskReadError(
      "vsphere-protocol",
      `reading ${this.#options.label} (${this.where}) at offset ${offset}: ${this.#options.client.server} answered ${what}`,
      "The host or a proxy in between does not serve byte ranges as vSphere does; connect to the host directly.",
    );
  }
}

/** The total of "bytes a-b/total" or "bytes * /total". */
function contentRangeTotal(header: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(header ?? "");
  return match ? Number(match[1]) : undefined;
}

function isNetworkFailure(err: unknown): boolean {
  return err instanceof VsphereNetworkError || err instanceof VsphereTimeoutError;
}

/** Copies the body into `target`; a body that ends early (a cut) or runs long is an error. */
async function receive(response: IncomingMessage, target: Buffer): Promise<void> {
  let at = 0;
  try {
    for await (const part of response) {
      const chunk = part as Buffer;
      if (at + chunk.length > target.length) {
        throw new DiskReadError(
          "vsphere-protocol",
          `the server sent more than the ${target.length} bytes asked for`,
          "The host or a proxy in between does not serve byte ranges as vSphere does; connect to the host directly.",
        );
      }
      chunk.copy(target, at);
      at += chunk.length;
    }
  } catch (err) {
    if (err instanceof SnapferryError) throw err;
    throw new TransientError(`the connection was cut after ${at} of ${target.length} bytes`);
  }
  if (at < target.length) {
    throw new TransientError(`the connection was cut after ${at} of ${target.length} bytes`);
  }
}
