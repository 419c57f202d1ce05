/**
 * The transmission phase: reads requests, runs several at once, and replies to each as soon as
 * it is done, in any order, tagged with its handle. Backpressure: while too many requests (or
 * bytes) are in flight, or the socket has too much unsent output, no further request is read,
 * so the client is held back by TCP.
 */
import type { Socket } from "node:net";
import { SnapferryError } from "../common/errors.js";
import type { NbdExport } from "./export.js";
import type { Negotiated } from "./handshake.js";
import * as P from "./protocol.js";
import * as R from "./replies.js";
import { ConnectionClosed, type SocketReader } from "./wire.js";

interface Request {
  flags: number;
  type: number;
  handle: Buffer;
  offset: number;
  length: number;
  data?: Buffer;
}

/** A request the server refuses with an errno, with the reason for the client and the log. */
class Refused extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_UNSENT = 64 * 1024 * 1024;

export class Transmission {
  private inFlight = 0;
  private inFlightBytes = 0;
  private wake: (() => void) | undefined;
  private readonly settled = new Set<Promise<void>>();

  constructor(
    private readonly socket: Socket,
    private readonly reader: SocketReader,
    private readonly exp: NbdExport,
    private readonly negotiated: Negotiated,
    private readonly log: (line: string) => void,
  ) {
    socket.on("drain", () => this.signal());
    // A closed socket never drains: without this, a request loop waiting for room would wait for ever.
    socket.on("close", () => this.signal());
  }

  /** Serves until the client disconnects (NBD_CMD_DISC or closing the socket). */
  async run(): Promise<void> {
    try {
      for (;;) {
        await this.slot();
        const request = await this.next();
        if (!request) continue;
        if (request.type === P.CMD_DISC) break;
        this.start(request);
      }
    } catch (err) {
      if (!(err instanceof ConnectionClosed)) throw err;
    } finally {
      await Promise.allSettled([...this.settled]);
    }
  }

  /** Reads one request; undefined when it was answered already (an oversized write). */
  private async next(): Promise<Request | undefined> {
    const head = await this.reader.read(28);
    if (head.readUInt32BE(0) !== P.REQUEST_MAGIC) {
      // Framing is lost: nothing after this can be trusted to be a request.
      throw new Error(
        `sent a bad request magic 0x${head.readUInt32BE(0).toString(16)}; closing the connection`,
      );
    }
    const request: Request = {
      flags: head.readUInt16BE(4),
      type: head.readUInt16BE(6),
      handle: Buffer.from(head.subarray(8, 16)),
      offset: Number(head.readBigUInt64BE(16)),
      length: head.readUInt32BE(24),
    };
    if (request.type !== P.CMD_WRITE) return request;
    if (request.length > P.MAX_REQUEST) {
      // Skipped without being held in memory, then refused.
      await this.reader.skip(request.length);
      this.reply(
        request,
        P.EINVAL,
        `a write of ${request.length} bytes is over the ${P.MAX_REQUEST}-byte maximum`,
      );
      return undefined;
    }
    request.data = await this.reader.read(request.length);
    return request;
  }

  private start(request: Request): void {
    const cost = request.type === P.CMD_READ || request.type === P.CMD_WRITE ? request.length : 0;
    this.inFlight++;
    this.inFlightBytes += cost;
    const done = this.handle(request)
      .catch((err: unknown) => this.fail(request, err))
      .finally(() => {
        this.inFlight--;
        this.inFlightBytes -= cost;
        this.settled.delete(done);
        this.signal();
      });
    this.settled.add(done);
  }

  private async slot(): Promise<void> {
    while (
      this.inFlight >= P.MAX_IN_FLIGHT ||
      this.inFlightBytes >= P.MAX_IN_FLIGHT_BYTES ||
      this.socket.writableLength >= MAX_UNSENT
    ) {
      if (this.socket.destroyed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async handle(r: Request): Promise<void> {
    const fua = (r.flags & P.CMD_FLAG_FUA) !== 0;
    switch (r.type) {
      case P.CMD_READ:
        return this.read(r);
      case P.CMD_WRITE:
        this.inside(r, P.ENOSPC);
        await this.exp.write(r.offset, r.data ?? Buffer.alloc(0));
        break;
      case P.CMD_WRITE_ZEROES:
        this.inside(r, P.ENOSPC);
        await this.exp.writeZeroes(r.offset, r.length, (r.flags & P.CMD_FLAG_NO_HOLE) !== 0);
        break;
      case P.CMD_TRIM:
        this.inside(r, P.EINVAL);
        await this.exp.trim(r.offset, r.length);
        break;
      case P.CMD_FLUSH:
        await this.exp.flush();
        break;
      case P.CMD_BLOCK_STATUS:
        return this.blockStatus(r);
      default:
        throw new Refused(P.EINVAL, `command ${r.type} is not supported`);
    }
    if (fua) await this.exp.flush();
    this.reply(r, 0);
  }

  private async read(r: Request): Promise<void> {
    this.inside(r, P.EINVAL);
    if (r.length > P.MAX_REQUEST)
      throw new Refused(P.EINVAL, `a read of ${r.length} bytes is over the maximum`);
    if (!this.negotiated.structured) {
      this.send(R.simpleReply(r.handle, 0, await this.exp.readBytes(r.offset, r.length)));
      return;
    }
    if (r.length === 0) return this.send(R.noneChunk(r.handle, P.REPLY_FLAG_DONE));
    if ((r.flags & P.CMD_FLAG_DF) !== 0) {
      const data = await this.exp.readBytes(r.offset, r.length);
      return this.send(R.dataChunk(r.handle, P.REPLY_FLAG_DONE, r.offset, data));
    }
    const pieces = await this.exp.read(r.offset, r.length);
    pieces.forEach((p, i) => {
      const flags = i === pieces.length - 1 ? P.REPLY_FLAG_DONE : 0;
      this.send(
        p.data
          ? R.dataChunk(r.handle, flags, p.offset, p.data)
          : R.holeChunk(r.handle, flags, p.offset, p.length),
      );
    });
  }

  private async blockStatus(r: Request): Promise<void> {
    if (!this.negotiated.allocation) throw new Refused(P.EINVAL, "no metadata context was negotiated");
    if (r.length === 0) throw new Refused(P.EINVAL, "block status of zero bytes");
    this.inside(r, P.EINVAL);
    const span = Math.min(r.length, P.MAX_STATUS_SPAN);
    let extents = await this.exp.blockStatus(r.offset, span);
    if ((r.flags & P.CMD_FLAG_REQ_ONE) !== 0) extents = extents.slice(0, 1);
    this.send(R.blockStatusChunk(r.handle, P.REPLY_FLAG_DONE, P.BASE_ALLOCATION_ID, extents));
  }

  /** Refuses a range that does not lie inside the disk. */
  private inside(r: Request, errno: number): void {
    if (r.offset + r.length > this.exp.size) {
      throw new Refused(
        errno,
        `the range ${r.offset}+${r.length} reaches past the end of the disk (${this.exp.size} bytes)`,
      );
    }
  }

  private fail(r: Request, err: unknown): void {
    if (err instanceof Refused) {
      this.reply(r, err.errno, err.message);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    const errno = err instanceof SnapferryError && err.code === "disk-full" ? P.ENOSPC : P.EIO;
    this.log(`error: command ${r.type} at ${r.offset}+${r.length} failed: ${message}`);
    this.reply(r, errno, message);
  }

  /** A reply without data: simple, or a structured error chunk for commands that need one. */
  private reply(r: Request, errno: number, message = ""): void {
    const structuredCommand = r.type === P.CMD_READ || r.type === P.CMD_BLOCK_STATUS;
    if (errno !== 0 && this.negotiated.structured && structuredCommand) {
      this.send(R.errorChunk(r.handle, P.REPLY_FLAG_DONE, errno, message));
    } else {
      this.send(R.simpleReply(r.handle, errno));
    }
  }

  private send(message: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(message);
  }
}
