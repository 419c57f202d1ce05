/**
 * Datastore `/folder` downloads through the proxy: counting the bytes each file sends, cutting
 * transfers like a dropped network link, and serving a frozen base disk with the same Range
 * semantics and headers as vcsim's (Go's http.ServeContent).
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import type { ServerResponse } from "node:http";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface CutOptions {
  /** Keep the link down after the cut (every later /folder GET dies at once) instead of one blip. */
  stayDown?: boolean;
}

/** Byte counts per datastore path, and the armed cut, shared by every /folder GET. */
export class TransferMeter {
  readonly bytesByPath = new Map<string, number>();
  private cut: { remaining: number; stayDown: boolean; fired: boolean } | undefined;
  private readonly open = new Set<ServerResponse>();

  arm(bytes: number, options: CutOptions = {}): void {
    this.cut = { remaining: Math.max(0, bytes), stayDown: options.stayDown ?? false, fired: false };
  }

  disarm(): void {
    this.cut = undefined;
  }

  /** How many of `wanted` bytes may still go out; fewer means the link is cut now. */
  private take(path: string, wanted: number): number {
    let allowed = wanted;
    if (this.cut) allowed = this.cut.fired ? 0 : Math.min(wanted, this.cut.remaining);
    this.bytesByPath.set(path, (this.bytesByPath.get(path) ?? 0) + allowed);
    if (this.cut && !this.cut.fired) {
      this.cut.remaining -= allowed;
      if (allowed < wanted || this.cut.remaining === 0) this.fire();
    }
    return allowed;
  }

  private fire(): void {
    if (!this.cut) return;
    if (this.cut.stayDown) this.cut.fired = true;
    else this.cut = undefined;
    // A real cut takes every transfer on the link down, not just the one that crossed the budget.
    for (const res of this.open) res.destroy();
    this.open.clear();
  }

  /** Sends `body` as the response's payload, counted and subject to the cut. */
  async send(path: string, body: Readable, res: ServerResponse): Promise<void> {
    if (this.cut?.fired) {
      body.destroy();
      res.destroy();
      return;
    }
    this.open.add(res);
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) => {
        // Once the cut fires, the socket is already destroyed: what was still buffered is lost, as on
        // a real link, so the client gets at most the budget.
        const allowed = this.take(path, chunk.length);
        if (allowed === chunk.length && !res.destroyed) return done(null, chunk);
        res.destroy();
        done(new Error("cut by the test"));
      },
    });
    try {
      await pipeline(body, meter, res);
    } catch {
      // A cut or a client that went away: either way the response is over.
    } finally {
      this.open.delete(res);
    }
  }
}

type RangeRequest =
  { kind: "whole" } | { kind: "unsatisfiable" } | { kind: "ranges"; ranges: [number, number][] };

/** Parses a Range header the way Go does: [start, end] inclusive, clipped, unsatisfiable ones dropped. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: "whole" };
  if (!header.startsWith("bytes=")) return { kind: "unsatisfiable" };
  const ranges: [number, number][] = [];
  let overlaps = false;
  for (const part of header.slice(6).split(",")) {
    const spec = part.trim();
    if (spec === "") continue;
    const match = /^(\d*)-(\d*)$/.exec(spec);
    if (!match || (match[1] === "" && match[2] === "")) return { kind: "unsatisfiable" };
    const [, first = "", last = ""] = match;
    if (first === "") {
      const suffix = Math.min(Number(last), size);
      if (suffix > 0) ranges.push([size - suffix, size - 1]);
      overlaps ||= suffix > 0;
      continue;
    }
    const start = Number(first);
    const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== "" && Number(last) < start) return { kind: "unsatisfiable" };
    if (start >= size) continue;
    overlaps = true;
    ranges.push([start, end]);
  }
  if (!overlaps) return { kind: "unsatisfiable" };
  // Go serves the whole file when the ranges add up to more than it.
  const total = ranges.reduce((sum, [s, e]) => sum + e - s + 1, 0);
  return total > size ? { kind: "whole" } : { kind: "ranges", ranges };
}

const CONTENT_TYPE = "application/x-vmdk-disk";

export interface FrozenFile {
  path: string;
  size: number;
  modified: Date;
  /** The datastore path the meter counts it under. */
  datastorePath: string;
}

export async function serveFrozenFile(
  file: FrozenFile,
  method: string,
  rangeHeader: string | undefined,
  res: ServerResponse,
  meter: TransferMeter,
): Promise<void> {
  const range = parseRange(rangeHeader, file.size);
  const common = { "Last-Modified": file.modified.toUTCString() };
  if (range.kind === "unsatisfiable") {
    const message = "invalid range: failed to overlap\n";
    res.writeHead(416, {
      ...common,
      "Content-Range": `bytes */${file.size}`,
      "Content-Type": "text/plain; charset=utf-8",
      "X-Content-Type-Options": "nosniff",
      "Content-Length": Buffer.byteLength(message),
    });
    res.end(method === "HEAD" ? undefined : message);
    return;
  }
  if (range.kind === "whole" || range.ranges.length === 0) {
    res.writeHead(200, {
      ...common,
      "Accept-Ranges": "bytes",
      "Content-Type": CONTENT_TYPE,
      "Content-Length": file.size,
    });
    if (method === "HEAD" || file.size === 0) return void res.end();
    return meter.send(file.datastorePath, createReadStream(file.path), res);
  }
  const [only] = range.ranges;
  if (only && range.ranges.length === 1) {
    const [start, end] = only;
    res.writeHead(206, {
      ...common,
      "Accept-Ranges": "bytes",
      "Content-Range": `bytes ${start}-${end}/${file.size}`,
      "Content-Type": CONTENT_TYPE,
      "Content-Length": end - start + 1,
    });
    if (method === "HEAD") return void res.end();
    return meter.send(file.datastorePath, createReadStream(file.path, { start, end }), res);
  }
  const boundary = randomBytes(30).toString("hex");
  const parts = range.ranges.map(([start, end], i) => ({
    start,
    end,
    head:
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Range: bytes ${start}-${end}/${file.size}\r\n` +
      `Content-Type: ${CONTENT_TYPE}\r\n\r\n`,
  }));
  const tail = `\r\n--${boundary}--\r\n`;
  const length =
    parts.reduce((sum, p) => sum + Buffer.byteLength(p.head) + p.end - p.start + 1, 0) + tail.length;
  res.writeHead(206, {
    ...common,
    "Accept-Ranges": "bytes",
    "Content-Type": `multipart/byteranges; boundary=${boundary}`,
    "Content-Length": length,
  });
  if (method === "HEAD") return void res.end();
  async function* multipart(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      yield Buffer.from(part.head);
      for await (const chunk of createReadStream(file.path, { start: part.start, end: part.end })) {
        yield chunk as Buffer;
      }
    }
    yield Buffer.from(tail);
  }
  return meter.send(file.datastorePath, Readable.from(multipart()), res);
}
