/**
 * The NBD server's error handling: malformed options, reads past the end, pipelined requests,
 * a client that vanishes mid-transfer, a broken request. After each, a real client (nbdinfo,
 * qemu-img) is still served. And the loopback-only default: a remote address is refused unless
 * --allow-remote, which warns that there is no TLS.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, requireTool, runCli, startCli } from "../support/cli.js";
import { startServe, toolOk, type Served } from "../support/nbd.js";
import { RawNbd } from "../support/nbd-raw-client.js";
import { MiB, backupJson, damageBlob, diskLayout, errorLine } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

// Big enough for a 32 MiB read; mostly holes, so the repository stays tiny.
const SIZE = 40 * MiB;
const NBD_CMD_READ = 0;
const NBD_CMD_DISC = 2;
const NBD_CMD_BLOCK_STATUS = 7;
const NBD_OPT_EXPORT_NAME = 1;
const NBD_OPT_LIST = 3;
const NBD_OPT_GO = 7;
const NBD_OPT_STRUCTURED_REPLY = 8;
const REP_ACK = 1;
const REP_ERR_UNSUP = 0x80000001;
const REP_ERR_INVALID = 0x80000003;
const REP_ERR_TOO_BIG = 0x80000009;
const EINVAL = 22;
const EIO = 5;

describe("the NBD server under hostile or broken clients", () => {
  const tmp = makeTempDir("nbd-server");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.raw");
  let bytes: Buffer;
  let rp: string;
  let served: Served;

  /** A real client is still served after whatever the last test did. */
  async function stillServes(): Promise<void> {
    assert.equal((await toolOk("nbdinfo", ["--size", served.url])).stdout.trim(), String(SIZE));
    await toolOk("qemu-img", ["compare", "-f", "raw", "-F", "raw", served.url, image]);
  }

  /** Waits until the server has ended every connection it accepted (each logs both lines). */
  async function allConnectionsEnded(): Promise<void> {
    const count = (re: RegExp): number =>
      served
        .stderr()
        .split("\n")
        .filter((l) => re.test(l)).length;
    for (let i = 0; i < 100; i++) {
      if (count(/^client \S+ connected$/) === count(/^client \S+ disconnected$/)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`a connection was never ended:\n${served.stderr()}`);
  }

  before(async () => {
    requireTool("nbdinfo", "libnbd-bin");
    requireTool("qemu-img", "qemu-utils");
    await cliOk(["init", "--repo", repo, "--chunk-size", "1M"]);
    bytes = Buffer.alloc(SIZE);
    new SeededBytes("nbd server head").bytes(2 * MiB).copy(bytes, 0);
    new SeededBytes("nbd server tail").bytes(MiB).copy(bytes, SIZE - MiB);
    writeFileSync(image, bytes);
    rp = (await backupJson(repo, image)).restorePoint;
    served = await startServe(["--repo", repo, rp, "--port", "0", "--overlay", path.join(tmp.dir, "ov")]);
  });
  after(async () => {
    assert.equal(await served.stop(), 0, served.stderr());
    tmp.cleanup();
  });

  it("answers malformed, unknown and oversized options with errors and keeps the connection", async () => {
    const c = await RawNbd.open(served.port);
    try {
      assert.equal(await c.greet(), 3, "fixed newstyle and no zeroes");
      // NBD_OPT_GO whose name length (100) runs past its 6 bytes of data.
      const bad = Buffer.alloc(6);
      bad.writeUInt32BE(100, 0);
      c.sendOption(NBD_OPT_GO, bad);
      assert.equal((await c.optionReply()).type, REP_ERR_INVALID);
      // NBD_OPT_LIST takes no data.
      c.sendOption(NBD_OPT_LIST, Buffer.alloc(4));
      assert.equal((await c.optionReply()).type, REP_ERR_INVALID);
      c.sendOption(0x4242, Buffer.alloc(0));
      assert.equal((await c.optionReply()).type, REP_ERR_UNSUP);
      // 1 MiB of option data is over the limit: skipped, not held in memory.
      c.sendOption(NBD_OPT_LIST, Buffer.alloc(MiB));
      assert.equal((await c.optionReply()).type, REP_ERR_TOO_BIG);
      c.sendOption(NBD_OPT_LIST, Buffer.alloc(0));
      const list = await c.optionReply();
      assert.equal(list.type, 2, "NBD_REP_SERVER");
      assert.equal(list.data.subarray(4).toString(), `${rp.slice(0, 8)}-disk0`);
      assert.equal((await c.optionReply()).type, REP_ACK);
      // Still in the handshake: GO works, and so does a read.
      assert.equal(await c.go(), SIZE);
      c.request(NBD_CMD_READ, 7, MiB - 100, 4096);
      assert.deepEqual(await c.simpleReply(), { error: 0, handle: 7 });
      assert.ok((await c.mustRead(4096)).equals(bytes.subarray(MiB - 100, MiB - 100 + 4096)));
      c.request(NBD_CMD_DISC, 8, 0, 0);
      assert.equal(await c.read(1), undefined, "the server closes after NBD_CMD_DISC");
    } finally {
      c.close();
    }
    await stillServes();
  });

  it("serves old clients that pick the export with NBD_OPT_EXPORT_NAME", async () => {
    const c = await RawNbd.open(served.port);
    try {
      await c.greet();
      c.sendOption(NBD_OPT_EXPORT_NAME, Buffer.from(`${rp.slice(0, 8)}-disk0`));
      const reply = await c.mustRead(10); // size and flags; no 124 zero bytes, as NO_ZEROES was agreed
      assert.equal(Number(reply.readBigUInt64BE(0)), SIZE);
      assert.equal(reply.readUInt16BE(8) & 1, 1, "NBD_FLAG_HAS_FLAGS");
      c.request(NBD_CMD_READ, 9, 0, 512);
      assert.deepEqual(await c.simpleReply(), { error: 0, handle: 9 });
      assert.ok((await c.mustRead(512)).equals(bytes.subarray(0, 512)));
    } finally {
      c.close();
    }
    const unknown = await RawNbd.open(served.port);
    try {
      await unknown.greet();
      unknown.sendOption(NBD_OPT_EXPORT_NAME, Buffer.from("no-such-export"));
      assert.equal(await unknown.read(1), undefined, "an unknown export name ends the connection");
    } finally {
      unknown.close();
    }
    await stillServes();
  });

  it("refuses a read past the end with EINVAL, in simple and structured replies", async () => {
    const simple = await RawNbd.open(served.port);
    try {
      await simple.greet();
      await simple.go();
      simple.request(NBD_CMD_READ, 1, SIZE - 10, 20);
      assert.deepEqual(await simple.simpleReply(), { error: EINVAL, handle: 1 });
      simple.request(NBD_CMD_READ, 2, SIZE - 10, 10);
      assert.deepEqual(await simple.simpleReply(), { error: 0, handle: 2 });
      assert.ok((await simple.mustRead(10)).equals(bytes.subarray(SIZE - 10)));
    } finally {
      simple.close();
    }
    const structured = await RawNbd.open(served.port);
    try {
      await structured.greet();
      structured.sendOption(NBD_OPT_STRUCTURED_REPLY, Buffer.alloc(0));
      assert.equal((await structured.optionReply()).type, REP_ACK);
      await structured.go();
      structured.request(NBD_CMD_READ, 3, SIZE, 1);
      const chunk = await structured.chunk();
      assert.equal(chunk.type, 0x8001, "NBD_REPLY_TYPE_ERROR");
      assert.equal(chunk.flags & 1, 1, "NBD_REPLY_FLAG_DONE");
      assert.equal(chunk.payload.readUInt32BE(0), EINVAL);
      // Data then a hole: the hole is sent as NBD_REPLY_TYPE_OFFSET_HOLE, not as bytes.
      structured.request(NBD_CMD_READ, 4, MiB, 2 * MiB);
      const data = await structured.chunk();
      assert.deepEqual([data.type, data.flags, Number(data.payload.readBigUInt64BE(0))], [1, 0, MiB]);
      assert.ok(data.payload.subarray(8).equals(bytes.subarray(MiB, 2 * MiB)));
      const hole = await structured.chunk();
      assert.deepEqual(
        [hole.type, hole.flags, Number(hole.payload.readBigUInt64BE(0)), hole.payload.readUInt32BE(8)],
        [2, 1, 2 * MiB, MiB],
      );
      // No metadata context was negotiated, so block status is refused.
      structured.request(NBD_CMD_BLOCK_STATUS, 5, 0, MiB);
      const status = await structured.chunk();
      assert.deepEqual([status.type, status.payload.readUInt32BE(0)], [0x8001, EINVAL]);
    } finally {
      structured.close();
    }
    await stillServes();
  });

  it("answers pipelined reads by handle", async () => {
    const c = await RawNbd.open(served.port);
    try {
      await c.greet();
      await c.go();
      const offsets = [0, 3 * MiB, SIZE - 65536, 123_457, MiB + 1, 20 * MiB, 2 * MiB - 7, 5];
      offsets.forEach((offset, i) => c.request(NBD_CMD_READ, 100 + i, offset, 65536));
      const seen = new Set<number>();
      for (let i = 0; i < offsets.length; i++) {
        const r = await c.simpleReply();
        assert.equal(r.error, 0);
        const offset = offsets[r.handle - 100];
        assert.ok(offset !== undefined && !seen.has(r.handle), `unexpected handle ${r.handle}`);
        seen.add(r.handle);
        assert.ok(
          (await c.mustRead(65536)).equals(bytes.subarray(offset, offset + 65536)),
          `read at ${offset}`,
        );
      }
    } finally {
      c.close();
    }
  });

  it("survives a client that disconnects in the middle of 32 MiB reads, and a broken request", async () => {
    const c = await RawNbd.open(served.port);
    await c.greet();
    await c.go();
    for (let i = 0; i < 4; i++) c.request(NBD_CMD_READ, i, 0, 32 * MiB);
    await c.read(1000);
    c.close();
    // Its 128 MiB of replies can never drain: the server must still end the connection.
    await allConnectionsEnded();
    await stillServes();
    const broken = await RawNbd.open(served.port);
    await broken.greet();
    await broken.go();
    broken.socket.write(Buffer.alloc(28, 0xff)); // not a request: bad magic
    assert.equal(await broken.read(1), undefined, "the server closes a connection that breaks framing");
    broken.close();
    await stillServes();
    await allConnectionsEnded();
    assert.match(served.stderr(), /connected/);
  });

  it("answers EIO for a damaged chunk, logs why, and serves the rest", async () => {
    const victim = (await diskLayout(repo, rp)).chunks.find((c) => c.offset === MiB);
    assert.ok(victim);
    // A server of its own, whose chunk cache has never seen the victim.
    const second = await startServe([
      "--repo",
      repo,
      rp,
      "--port",
      "0",
      "--overlay",
      path.join(tmp.dir, "ov2"),
    ]);
    const undo = damageBlob(victim);
    const c = await RawNbd.open(second.port);
    try {
      await c.greet();
      await c.go();
      c.request(NBD_CMD_READ, 1, MiB + 10, 100);
      assert.deepEqual(await c.simpleReply(), { error: EIO, handle: 1 });
      c.request(NBD_CMD_READ, 2, 0, 100);
      assert.deepEqual(await c.simpleReply(), { error: 0, handle: 2 });
      assert.ok((await c.mustRead(100)).equals(bytes.subarray(0, 100)));
    } finally {
      c.close();
      undo();
      assert.equal(await second.stop(), 0, second.stderr());
    }
    assert.match(second.stderr(), new RegExp(`error: .*at offset ${MiB}: .*damaged`));
  });

  it("guards the overlay: one user at a time, only over its own disk, and it must exist to finalize", async () => {
    const ov = path.join(tmp.dir, "ov");
    const busy = await runCli(["serve", "--repo", repo, rp, "--port", "0", "--overlay", ov]);
    assert.equal(busy.code, 1, busy.stderr);
    assert.match(errorLine(busy.stderr), /overlay .* is in use by process \d+/);
    const finalizeBusy = await runCli([
      "finalize",
      "--repo",
      repo,
      rp,
      "--overlay",
      ov,
      "--target",
      path.join(tmp.dir, "x.raw"),
    ]);
    assert.equal(finalizeBusy.code, 1, finalizeBusy.stderr);
    assert.match(errorLine(finalizeBusy.stderr), /in use/);
    // Another restore point (a second backup of the same image) must not reuse this overlay.
    const other = (await backupJson(repo, image)).restorePoint;
    const ov2 = path.join(tmp.dir, "ov2"); // made for rp by the EIO test above
    const wrong = await runCli(["serve", "--repo", repo, other, "--port", "0", "--overlay", ov2]);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(errorLine(wrong.stderr), new RegExp(`belongs to disk 0 of restore point ${rp.slice(0, 8)}`));
    const missing = await runCli([
      "finalize",
      "--repo",
      repo,
      rp,
      "--overlay",
      path.join(tmp.dir, "nope"),
      "--target",
      path.join(tmp.dir, "y.raw"),
    ]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(errorLine(missing.stderr), /overlay .*nope does not exist/);
    await stillServes();
  });

  it("refuses to listen beyond loopback without --allow-remote, and warns about TLS with it", async () => {
    const refused = await runCli(["serve", "--repo", repo, rp, "--listen", "0.0.0.0", "--port", "0"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(errorLine(refused.stderr), /refusing to serve on 0\.0\.0\.0/);
    assert.match(refused.stderr, /no TLS/);
    assert.equal(refused.stdout, "");
    const child = startCli([
      "serve",
      "--repo",
      repo,
      rp,
      "--listen",
      "0.0.0.0",
      "--port",
      "0",
      "--allow-remote",
      "--overlay",
      path.join(tmp.dir, "remote.ov"),
    ]);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    for (let i = 0; i < 300 && !stdout.includes("\n"); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /^nbd:\/\/0\.0\.0\.0:\d+\//);
    assert.match(stderr, /warning: serving on 0\.0\.0\.0 without TLS/);
  });
});
