/**
 * The NBD server: listens, runs the handshake and the transmission phase for each connection,
 * and logs what clients do. Every connection serves the same export (one overlay), so a flush
 * on any of them covers writes from all of them.
 */
import net from "node:net";
import type { NbdExport } from "./export.js";
import { HandshakeEnd, handshake } from "./handshake.js";
import { Transmission } from "./transmission.js";
import { ConnectionClosed, SocketReader } from "./wire.js";

/** Each connection's memory is bounded; this bounds their number too. */
const MAX_CLIENTS = 32;
const HANDSHAKE_TIMEOUT_MS = 30_000;

export interface NbdServerOptions {
  host: string;
  port: number;
  exportName: string;
  exp: NbdExport;
  log: (line: string) => void;
}

export class NbdServer {
  private readonly connections = new Map<net.Socket, Promise<void>>();

  private constructor(
    private readonly server: net.Server,
    private readonly options: NbdServerOptions,
  ) {}

  static async listen(options: NbdServerOptions): Promise<NbdServer> {
    const server = net.createServer();
    const nbd = new NbdServer(server, options);
    server.on("connection", (socket) => nbd.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => options.log(`error: the server failed: ${err.message}`));
    return nbd;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : this.options.port;
  }

  get clients(): number {
    return this.connections.size;
  }

  /** Stops listening, closes every connection once its requests have ended, flushes the overlay. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections.keys()) socket.destroy();
    await Promise.allSettled([...this.connections.values()]);
    await closed;
    await this.options.exp.flush();
  }

  private accept(socket: net.Socket): void {
    const peer = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    if (this.connections.size >= MAX_CLIENTS) {
      this.options.log(`client ${peer} refused: ${MAX_CLIENTS} clients are connected already`);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.on("error", () => undefined); // reported through the reader, which sees the close
    const served = this.serve(socket, peer).finally(() => {
      this.connections.delete(socket);
    });
    this.connections.set(socket, served);
  }

  private async serve(socket: net.Socket, peer: string): Promise<void> {
    const { exp, exportName, log } = this.options;
    const reader = new SocketReader(socket);
    log(`client ${peer} connected`);
    // A client that never finishes the handshake must not hold a connection slot for ever.
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => {
      log(`client ${peer}: no export chosen after ${HANDSHAKE_TIMEOUT_MS / 1000} s; closing`);
      socket.destroy();
    });
    try {
      const negotiated = await handshake(socket, reader, { name: exportName, size: exp.size }, (line) =>
        log(`client ${peer}: ${line}`),
      );
      socket.setTimeout(0);
      log(
        `client ${peer} opened "${exportName}"${negotiated.structured ? " with structured replies" : ""}` +
          (negotiated.allocation ? " and base:allocation" : ""),
      );
      await new Transmission(socket, reader, exp, negotiated, (line) => log(`client ${peer}: ${line}`)).run();
    } catch (err) {
      if (err instanceof HandshakeEnd || err instanceof ConnectionClosed)
        log(`client ${peer}: ${err.message}`);
      else log(`error: client ${peer}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      await exp.flush();
    } catch (err) {
      log(`error: flushing the overlay failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    log(`client ${peer} disconnected`);
    socket.end();
  }
}
