/**
 * Exact-length reads from a socket for the NBD state machines. Data is buffered only up to a
 * high-water mark: past it the socket is paused, so a client that sends faster than we serve
 * is held back by TCP instead of filling our memory.
 */
import type { Socket } from "node:net";

/** The peer closed the connection (or it failed) while we waited for bytes. */
export class ConnectionClosed extends Error {
  override readonly name = "ConnectionClosed";
}

const HIGH_WATER = 4 * 1024 * 1024;

export class SocketReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;
  private waiter: (() => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on("data", (data: Buffer) => {
      this.chunks.push(data);
      this.buffered += data.length;
      if (this.buffered >= HIGH_WATER) socket.pause();
      this.wake();
    });
    const end = (): void => {
      this.closed = true;
      this.wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Exactly `length` bytes; throws ConnectionClosed if the peer goes away first. */
  async read(length: number): Promise<Buffer> {
    while (this.buffered < length) {
      if (this.closed) throw new ConnectionClosed("the client closed the connection");
      this.socket.resume();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const out = this.take(length);
    if (this.buffered < HIGH_WATER) this.socket.resume();
    return out;
  }

  /** Reads and drops `length` bytes without holding more than one socket chunk at a time. */
  async skip(length: number): Promise<void> {
    let left = length;
    while (left > 0) {
      if (this.buffered === 0) {
        if (this.closed) throw new ConnectionClosed("the client closed the connection");
        this.socket.resume();
        await new Promise<void>((resolve) => (this.waiter = resolve));
        continue;
      }
      left -= this.drop(left);
    }
    this.socket.resume();
  }

  private take(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const head = this.chunks[0];
      if (!head) break;
      const n = Math.min(head.length, length - done);
      head.copy(out, done, 0, n);
      done += n;
      if (n === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    }
    this.buffered -= length;
    return out;
  }

  /** Discards up to `length` buffered bytes without copying them; returns how many. */
  private drop(length: number): number {
    let done = 0;
    while (done < length) {
      const head = this.chunks[0];
      if (!head) break;
      const n = Math.min(head.length, length - done);
      if (n === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      done += n;
    }
    this.buffered -= done;
    return done;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
