/**
 * TEST-ONLY. An HTTPS proxy in front of vcsim that adds what the simulator lacks and a vSphere
 * backup needs: snapshots that freeze the base disk, changed block tracking (changeIds and
 * QueryChangedDiskAreas), and fault and network-cut injection. See README.md beside this file.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { serveFrozenFile, TransferMeter, type CutOptions } from "./folder-transfer.js";
import { FrozenDiskStore } from "./frozen-disks.js";
import { proxyCertificate, type ProxyCertificate } from "./proxy-cert.js";
import { PROPERTY_METHODS, SnapshotHooks } from "./snapshot-hooks.js";
import { injectedFaultEnvelope, plainFaultEnvelope, type InjectedFault } from "./soap-faults.js";
import { forwardableHeaders, sendBuffered, sendXml, Upstream } from "./upstream.js";
import { VimCalls } from "./vim-calls.js";
import { child, moref, parseXml, soapBodyMethod, type MoRef, type XmlNode } from "./xml-read.js";
import { makeTempDir } from "../../support/tmp.js";
import type { Vcsim } from "../../support/vcsim.js";

export type { InjectedFault } from "./soap-faults.js";
export type { CutOptions } from "./folder-transfer.js";

export interface CbtProxyOptions {
  /** Most changed areas in one QueryChangedDiskAreas answer (default 64). */
  maxAreasPerCall?: number;
  /** Most bytes of the disk one answer covers (default 16 MiB): clients must loop on startOffset. */
  windowBytes?: number;
  /** "cached" (default) shares one certificate across runs; "fresh" makes a new one. */
  certificate?: "cached" | "fresh" | ProxyCertificate;
  /** A fixed port, e.g. to restart a "host" at the same address; random by default. */
  port?: number;
  /**
   * Follow each VM's config.changeTrackingEnabled as ESXi does (default false: every disk is
   * tracked). When true, a VM with CBT off reports no changeId, QueryChangedDiskAreas on a snapshot
   * taken with CBT off fails with FileFault, and switching CBT on voids earlier changeIds.
   */
  modelChangeTracking?: boolean;
}

export interface CbtProxyStats {
  /** Every SOAP method received, in order, including those the proxy answered or faulted itself. */
  readonly soapMethods: string[];
  /** Bytes sent by /folder GETs, per datastore path: "[LocalDS_0] DC0_H0_VM0/disk1-flat.vmdk". */
  readonly folderBytes: Map<string, number>;
  folderBytesTotal(): number;
  reset(): void;
}

export interface CbtProxy {
  /** https://127.0.0.1:PORT/sdk */
  url: string;
  host: string;
  port: number;
  /** SHA-256, colon-separated uppercase hex. */
  thumbprint: string;
  certificate: ProxyCertificate;
  /** The proxy's own folder: frozen copies live in its frozen/ sub-folder. Removed by stop(). */
  storageDir: string;
  stats: CbtProxyStats;
  /** Fails the next `times` calls of `method` (e.g. "CreateSnapshot_Task") with `fault`. */
  injectFault(method: string, fault: InjectedFault, times?: number): void;
  clearFaults(): void;
  /** Destroys every /folder GET connection once `bytes` more bytes have gone out. */
  cutFolderTransfersAfter(bytes: number, options?: CutOptions): void;
  restoreFolderTransfers(): void;
  /** Like toggling CBT off and on: every changeId the VM's disks reported before is refused. */
  resetChangeTracking(vm: string): void;
  /** Closes the listener and every open connection at once, like a killed host process. */
  stop(): Promise<void>;
}

const SOAP_BODY_LIMIT = 32 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > SOAP_BODY_LIMIT) throw new Error("SOAP request larger than 32 MiB");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startCbtProxy(vcsim: Vcsim, options: CbtProxyOptions = {}): Promise<CbtProxy> {
  const certificate =
    typeof options.certificate === "object"
      ? options.certificate
      : proxyCertificate(options.certificate === "fresh");
  const upstream = new Upstream(new URL(vcsim.url));
  const vim = new VimCalls(new URL(vcsim.url), upstream.agent);
  const temp = makeTempDir("cbt-proxy");
  const store = new FrozenDiskStore(path.join(temp.dir, "frozen"));
  const meter = new TransferMeter();
  const hooks = new SnapshotHooks(
    store,
    vim,
    (name) => vcsim.datastoreDir(name),
    {
      maxAreas: Math.max(1, options.maxAreasPerCall ?? 64),
      windowBytes: options.windowBytes ?? 16 * 1024 * 1024,
    },
    options.modelChangeTracking ?? false,
  );
  const faults = new Map<string, { fault: InjectedFault; remaining: number }[]>();
  const soapMethods: string[] = [];

  function takeFault(method: string): InjectedFault | undefined {
    const queue = faults.get(method);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    if (--next.remaining <= 0) queue.shift();
    return next.fault;
  }

  async function handleSoap(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let call: { name: string; node: XmlNode } | undefined;
    try {
      call = soapBodyMethod(parseXml(body.toString("utf8")));
    } catch {
      call = undefined; // vcsim answers malformed XML with its own fault
    }
    const method = call?.name ?? "?";
    soapMethods.push(method);
    const target: MoRef | undefined = moref(child(call?.node, "_this"));
    const injected = takeFault(method);
    if (injected?.kind === "hang") return; // never answered; stop() drops the connection
    if (injected) return sendXml(res, 500, injectedFaultEnvelope(injected, target));

    const cookie = req.headers.cookie;
    if (method === "QueryChangedDiskAreas" && call) {
      const answer = await hooks.queryChangedDiskAreas(call.node, cookie);
      return sendXml(res, answer.status, answer.xml);
    }
    const answer = await upstream.buffered("POST", req.url ?? "/sdk", forwardableHeaders(req.headers), body);
    if (answer.status === 200 && target) {
      const xml = answer.body.toString("utf8");
      if (method === "CreateSnapshot_Task") await hooks.afterCreateSnapshot(target, xml, cookie);
      if (method === "RemoveSnapshot_Task" || method === "RemoveAllSnapshots_Task") {
        await hooks.afterRemoveSnapshot(target, xml, cookie);
      }
      if (method === "ReconfigVM_Task") await hooks.afterReconfigure(target, xml, cookie);
      if (PROPERTY_METHODS.has(method)) {
        answer.body = Buffer.from(await hooks.rewriteProperties(xml, cookie), "utf8");
      }
    }
    sendBuffered(res, answer);
  }

  async function handleFolderRead(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const datastorePath = datastorePathOf(url);
    const frozen = store.frozenFile(datastorePath);
    if (frozen?.frozenPath) {
      const file = {
        path: frozen.frozenPath,
        size: frozen.generation.blocks.size,
        modified: frozen.frozenAt,
        datastorePath,
      };
      return serveFrozenFile(file, req.method ?? "GET", req.headers.range, res, meter);
    }
    const { req: out, response } = upstream.request(
      req.method ?? "GET",
      req.url ?? "/",
      forwardableHeaders(req.headers),
    );
    out.end();
    const answer = await response;
    res.writeHead(answer.statusCode ?? 502, forwardableHeaders(answer.headers));
    if (req.method === "HEAD") {
      answer.resume(); // frees the keep-alive connection to vcsim
      return void res.end();
    }
    return meter.send(datastorePath, answer, res);
  }

  function datastorePathOf(url: URL): string {
    const relative = path.posix.normalize(decodeURIComponent(url.pathname.slice("/folder/".length)));
    return `[${url.searchParams.get("dsName") ?? ""}] ${relative}`;
  }

  /** Anything else (datastore PUTs, /sdk GETs...) streams through untouched. */
  async function forwardStreaming(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { req: out, response } = upstream.request(
      req.method ?? "GET",
      req.url ?? "/",
      forwardableHeaders(req.headers),
    );
    // An upload that breaks off must not leave an unhandled rejection behind: it just ends the exchange.
    const sent = pipeline(req, out).catch(() => res.destroy());
    const answer = await response;
    const status = answer.statusCode ?? 502;
    const upload = url.pathname.startsWith("/folder/") && (req.method === "PUT" || req.method === "POST");
    if (upload && status >= 200 && status < 300) await store.supersede(datastorePathOf(url));
    res.writeHead(status, forwardableHeaders(answer.headers));
    await pipeline(answer, res);
    await sent;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://proxy.invalid");
    if (url.pathname === "/sdk" && req.method === "POST") return handleSoap(req, res);
    if (url.pathname.startsWith("/folder/") && (req.method === "GET" || req.method === "HEAD")) {
      return handleFolderRead(req, res, url);
    }
    return forwardStreaming(req, res, url);
  }

  const sockets = new Set<Socket>();
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      // Loud, so a harness bug shows up as a failed call in the test rather than a hang.
      const message = `snapferry test harness (cbt-proxy): ${err instanceof Error ? err.message : String(err)}`;
      sendXml(res, 500, plainFaultEnvelope(message));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no TCP address");

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      upstream.destroy();
      await closed;
      store.dispose();
      temp.cleanup();
    })();
    return stopped;
  };

  return {
    url: `https://127.0.0.1:${address.port}/sdk`,
    host: "127.0.0.1",
    port: address.port,
    thumbprint: certificate.thumbprint,
    certificate,
    storageDir: temp.dir,
    stats: {
      soapMethods,
      folderBytes: meter.bytesByPath,
      folderBytesTotal: () => [...meter.bytesByPath.values()].reduce((a, b) => a + b, 0),
      reset: () => {
        soapMethods.length = 0;
        meter.bytesByPath.clear();
      },
    },
    injectFault: (method, fault, times = 1) => {
      const queue = faults.get(method) ?? [];
      queue.push({ fault, remaining: times });
      faults.set(method, queue);
    },
    clearFaults: () => faults.clear(),
    cutFolderTransfersAfter: (bytes, cutOptions) => meter.arm(bytes, cutOptions),
    restoreFolderTransfers: () => meter.disarm(),
    resetChangeTracking: (vm) => store.resetTracking(vm),
    stop,
  };
}
