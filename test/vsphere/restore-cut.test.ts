import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { cliOk, runCli, startCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { startCbtProxy, type CbtProxy } from "./harness/cbt-proxy.js";
import { proxyCertificate } from "./harness/proxy-cert.js";
import { forwardableHeaders, Upstream } from "./harness/upstream.js";
import {
  connectTo,
  datastoreFolders,
  MiB,
  restoreArgs,
  sparseRestorePoint,
  vmNamed,
  type LocalRestorePoint,
} from "./restore-support.js";

/** Large enough (holes are sent as zeros) that the upload is still running when the link is cut. */
const DISK_SIZE = 256 * MiB;
const CUT_AFTER = 16 * MiB;

async function flatFileGrowsPast(
  file: string,
  bytes: number,
  child: { exitCode: number | null },
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(existsSync(file) && statSync(file).size > bytes)) {
    if (child.exitCode !== null) throw new Error("the restore ended before its upload reached the cut");
    if (Date.now() > deadline) throw new Error(`${file} did not grow past ${bytes} bytes within 30 s`);
    await sleep(5);
  }
}

/** A host whose datastore file service refuses uploads (405), as some locked-down hosts do. */
async function startNoUploadHost(
  vcsim: Vcsim,
): Promise<{ port: number; thumbprint: string; stop(): Promise<void> }> {
  const certificate = proxyCertificate();
  const upstream = new Upstream(new URL(vcsim.url));
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    if (req.method === "PUT" && req.url?.startsWith("/folder/")) {
      req.resume();
      res.writeHead(405, { "Content-Type": "text/plain" }).end("uploads are not allowed here");
      return;
    }
    const { req: out, response } = upstream.request(
      req.method ?? "GET",
      req.url ?? "/",
      forwardableHeaders(req.headers),
    );
    req.pipe(out);
    response.then(
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardableHeaders(answer.headers));
        answer.pipe(res);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    thumbprint: certificate.thumbprint,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      upstream.destroy();
    },
  };
}

describe("restore to vSphere when the upload is cut mid-way or refused", () => {
  const temp = makeTempDir("vsphere-restore-cut");
  const repo = path.join(temp.dir, "repo");
  const env = { SNAPFERRY_CONFIG_DIR: path.join(temp.dir, "config"), SNAPFERRY_VSPHERE_PASSWORD: "pass" };
  let vcsim: Vcsim;
  let proxy: CbtProxy;

  before(async () => {
    await cliOk(["init", "--repo", repo, "--encryption", "none"]);
    vcsim = await startVcsim();
    proxy = await startCbtProxy(vcsim);
  });
  after(async () => {
    await proxy.stop();
    await vcsim.stop();
    temp.cleanup();
  });

  let big: LocalRestorePoint;

  /** Starts a restore through the proxy, cuts the link once the upload is under way, brings it back. */
  async function cutRestore(
    name: string,
    extra: string[] = [],
  ): Promise<{ code: number | null; stderr: string }> {
    big ??= await sparseRestorePoint(repo, temp.dir, "big.img", 4 * MiB, DISK_SIZE);
    const url = `vsphere://127.0.0.1:${proxy.port}/DC0/DC0_H0`;
    const child = startCli(
      restoreArgs(repo, big.id, { url, thumbprint: proxy.thumbprint, name }, extra),
      env,
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await flatFileGrowsPast(path.join(vcsim.datastoreDir(), name, `${name}-flat.vmdk`), CUT_AFTER, child);
    // The host goes away mid-upload, then comes back at the same address: the restore must clean up.
    const { port, certificate } = proxy;
    await proxy.stop();
    await sleep(500);
    proxy = await startCbtProxy(vcsim, { port, certificate });
    return { code: await exited, stderr };
  }

  async function vmExists(name: string): Promise<boolean> {
    const client = await connectTo(vcsim.host, vcsim.port);
    try {
      return (await vmNamed(client, name)) !== undefined;
    } finally {
      await client.close();
    }
  }

  test("a clear error naming the disk and how far it got, and the half-made VM is deleted", async () => {
    const foldersBefore = datastoreFolders(vcsim.datastoreDir());
    const { code, stderr } = await cutRestore("cut-short");
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      /uploading disk 0 \(big\.img\) to \[LocalDS_0\] cut-short\/cut-short-flat\.vmdk on 127\.0\.0\.1:\d+ failed after [\d.]+ MiB of 256\.0 MiB were sent: .*cut/,
    );
    assert.match(stderr, /the incomplete VM cut-short was deleted again/);
    assert.equal(await vmExists("cut-short"), false, "the VM is gone from the inventory");
    assert.deepEqual(
      datastoreFolders(vcsim.datastoreDir()),
      foldersBefore,
      "its folder is gone from the datastore",
    );
  });

  test("with --keep-on-failure the half-made VM is kept for inspection, and the error says so", async () => {
    const { code, stderr } = await cutRestore("cut-kept", ["--keep-on-failure"]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /failed after .*; the incomplete VM cut-kept was kept \(--keep-on-failure\)/);
    assert.equal(await vmExists("cut-kept"), true);
  });

  test("a host that refuses datastore uploads is detected before anything is created", async () => {
    const rp = await sparseRestorePoint(repo, temp.dir, "small.img", 1 * MiB, 2 * MiB);
    const foldersBefore = datastoreFolders(vcsim.datastoreDir());
    const host = await startNoUploadHost(vcsim);
    try {
      const url = `vsphere://127.0.0.1:${host.port}/DC0/DC0_H0`;
      const r = await runCli(
        restoreArgs(repo, rp.id, { url, thumbprint: host.thumbprint, name: "no-upload" }),
        env,
      );
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /does not accept datastore uploads through \/folder \(HTTP 405/);
      assert.match(r.stderr, /streamOptimized VMDK through NFC.* is not built into Snapferry yet/);
      assert.match(r.stderr, /not built into Snapferry yet; nothing was created/);
      const client = await connectTo(vcsim.host, vcsim.port);
      try {
        assert.equal(await vmNamed(client, "no-upload"), undefined, "no VM was created");
      } finally {
        await client.close();
      }
    } finally {
      await host.stop();
    }
    assert.deepEqual(datastoreFolders(vcsim.datastoreDir()), foldersBefore);
  });
});
