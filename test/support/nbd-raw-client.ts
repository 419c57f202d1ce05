/**
 * A deliberately minimal NBD client that speaks raw bytes, for tests that must send what real
 * clients never would (malformed options, reads past the end, a disconnect mid-transfer). It
 * checks the server's error handling; every positive outcome is checked with real clients.
 */
import { Socket, connect } from "node:net";

export class RawNbd {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiter?.();
    });
    const end = (): void => {
      this.ended = true;
      this.waiter?.();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  static async open(port: number): Promise<RawNbd> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawNbd(socket);
  }

  /** Exactly n bytes, or undefined if the server closed the connection first. */
  async read(n: number, timeoutMs = 10_000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.ended) return undefined;
      if (Date.now() > deadline) throw new Error(`no ${n} bytes from the server in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  async mustRead(n: number): Promise<Buffer> {
    const b = await this.read(n);
    if (!b) throw new Error("the server closed the connection");
    return b;
  }

  /** Reads the greeting and sends fixed newstyle + no zeroes. */
  async greet(): Promise<number> {
    const g = await this.mustRead(18);
    this.socket.write(Buffer.from([0, 0, 0, 3]));
    return g.readUInt16BE(16);
  }

  sendOption(option: number, data: Buffer, declaredLength = data.length): void {
    const head = Buffer.alloc(16);
    head.write("IHAVEOPT", 0, "latin1");
    head.writeUInt32BE(option, 8);
    head.writeUInt32BE(declaredLength, 12);
    this.socket.write(Buffer.concat([head, data]));
  }

  /** One option reply: its type and data. */
  async optionReply(): Promise<{ option: number; type: number; data: Buffer }> {
    const head = await this.mustRead(20);
    const length = head.readUInt32BE(16);
    return { option: head.readUInt32BE(8), type: head.readUInt32BE(12), data: await this.mustRead(length) };
  }

  /** NBD_OPT_GO for the default export; returns the size, after the final ACK. */
  async go(): Promise<number> {
    const data = Buffer.alloc(6); // name length 0, no info requests
    this.sendOption(7, data);
    let size = -1;
    for (;;) {
      const r = await this.optionReply();
      if (r.type === 3 && r.data.readUInt16BE(0) === 0) size = Number(r.data.readBigUInt64BE(2));
      if (r.type === 1) return size;
      if (r.type !== 3) throw new Error(`NBD_OPT_GO failed with reply type 0x${r.type.toString(16)}`);
    }
  }

  request(type: number, handle: number, offset: number, length: number, flags = 0, data?: Buffer): void {
    const b = Buffer.alloc(28);
    b.writeUInt32BE(0x25609513, 0);
    b.writeUInt16BE(flags, 4);
    b.writeUInt16BE(type, 6);
    b.writeBigUInt64BE(BigInt(handle), 8);
    b.writeBigUInt64BE(BigInt(offset), 16);
    b.writeUInt32BE(length, 24);
    this.socket.write(data ? Buffer.concat([b, data]) : b);
  }

  /** A simple reply's error and handle (the caller reads any data after it). */
  async simpleReply(): Promise<{ error: number; handle: number }> {
    const b = await this.mustRead(16);
    if (b.readUInt32BE(0) !== 0x67446698) throw new Error(`not a simple reply: ${b.toString("hex")}`);
    return { error: b.readUInt32BE(4), handle: Number(b.readBigUInt64BE(8)) };
  }

  /** One structured reply chunk. */
  async chunk(): Promise<{ flags: number; type: number; handle: number; payload: Buffer }> {
    const b = await this.mustRead(20);
    if (b.readUInt32BE(0) !== 0x668e33ef) throw new Error(`not a structured reply: ${b.toString("hex")}`);
    return {
      flags: b.readUInt16BE(4),
      type: b.readUInt16BE(6),
      handle: Number(b.readBigUInt64BE(8)),
      payload: await this.mustRead(b.readUInt32BE(16)),
    };
  }

  close(): void {
    this.socket.destroy();
  }
}
