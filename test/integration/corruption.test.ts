import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes, seededText } from "../../main/demo/disk-image.js";
import { cliOk, runCli } from "../support/cli.js";
import {
  KiB,
  MiB,
  assertRestores,
  backupJson,
  checkJson,
  errorLine,
  damageBlob,
  diskLayout,
  filesIn,
  flipByte,
  writeRandomImage,
  type DiskLayout,
  type StoredChunk,
} from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const HALF = 2 * MiB; // 8 chunks of 256 KiB

/**
 * Three restore points: a.img = S + A', b.img = B' + S (S shared by both, at different offsets),
 * c.img = C' (nothing shared). Each test damages one thing, checks what `check` and `restore`
 * say, then undoes the damage and proves the repository is clean again.
 */
describe("damaged repository data", () => {
  const tmp = makeTempDir("corruption");
  const repo = path.join(tmp.dir, "repo");
  const images: Record<"a" | "b" | "c", Buffer> = {
    a: Buffer.alloc(0),
    b: Buffer.alloc(0),
    c: Buffer.alloc(0),
  };
  const rp: Record<"a" | "b" | "c", string> = { a: "", b: "", c: "" };
  const layout: Partial<Record<"a" | "b" | "c", DiskLayout>> = {};
  let targets = 0;

  function layoutOf(name: "a" | "b" | "c"): DiskLayout {
    const l = layout[name];
    assert.ok(l, `no layout for ${name}`);
    return l;
  }

  function chunkAt(name: "a" | "b" | "c", offset: number): StoredChunk {
    const c = layoutOf(name).chunks.find((x) => x.offset === offset);
    assert.ok(c, `${name} has no stored chunk at ${offset}`);
    return c;
  }

  /** A fresh, empty folder to restore into, so that leftovers can be seen. */
  function targetDir(): string {
    const dir = path.join(tmp.dir, `target-${++targets}`);
    mkdirSync(dir);
    return dir;
  }

  /** Restores a damaged restore point: it must fail, say where, and leave nothing behind. */
  async function assertRestoreFails(name: "a" | "b" | "c", where: RegExp, why: RegExp): Promise<void> {
    const dir = targetDir();
    const target = path.join(dir, "disk.img");
    const r = await runCli(["restore", "--repo", repo, rp[name], "--target", target]);
    assert.equal(r.code, 1, `restore of ${name} should fail:\n${r.stdout}\n${r.stderr}`);
    const line = errorLine(r.stderr);
    assert.match(line, /^snapferry: error: /);
    assert.match(line, where);
    assert.match(line, why);
    assert.match(r.stderr, /hint: Run `snapferry check --read-data`/);
    assert.deepEqual(readdirSync(dir), [], "no target and no partial file may be left");
  }

  async function assertClean(): Promise<void> {
    const c = await checkJson(repo, true);
    assert.deepEqual(c.problems, [], c.stdout);
    assert.equal(c.code, 0);
  }

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    const shared = writeRandomImage(path.join(tmp.dir, "s"), HALF, "shared");
    images.a = Buffer.concat([shared, writeRandomImage(path.join(tmp.dir, "a1"), HALF, "unique a")]);
    images.b = Buffer.concat([writeRandomImage(path.join(tmp.dir, "b1"), HALF, "unique b"), shared]);
    images.c = writeRandomImage(path.join(tmp.dir, "c1"), 2 * HALF, "unique c");
    for (const name of ["a", "b", "c"] as const) {
      const image = path.join(tmp.dir, `${name}.img`);
      writeFileSync(image, images[name]);
      rp[name] = (await backupJson(repo, image)).restorePoint;
      layout[name] = await diskLayout(repo, rp[name]);
    }
    // The premise: the first half of a.img and the second half of b.img are the same chunks.
    assert.equal(chunkAt("a", 0).id, chunkAt("b", HALF).id);
    assert.notEqual(chunkAt("a", HALF).id, chunkAt("b", 0).id);
  });
  after(() => tmp.cleanup());

  it("starts clean", async () => {
    await assertClean();
  });

  it("a damaged chunk used by one restore point: check names only it, restore fails", async () => {
    const offset = HALF + 3 * 256 * KiB;
    const victim = chunkAt("a", offset);
    const undo = damageBlob(victim);
    try {
      const c = await checkJson(repo, true);
      assert.equal(c.code, 1);
      assert.deepEqual(c.damaged, [rp.a]);
      const problem = c.problems.find((p) => p.restorePoint === rp.a);
      assert.ok(problem, c.stdout);
      assert.equal(problem.disk, 0);
      assert.match(problem.message, new RegExp(`1 damaged chunks, first at offset ${offset}: `));
      assert.match(problem.message, /authentication failed/);

      // The text output says the same, for people.
      const text = await runCli(["check", "--repo", repo, "--read-data"]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, new RegExp(`^damaged: restore point ${rp.a} disk 0$`, "m"));
      assert.doesNotMatch(text.stdout, new RegExp(`${rp.b}|${rp.c}`));

      await assertRestoreFails(
        "a",
        new RegExp(`disk 0 \\(a\\.img\\) of restore point ${rp.a.slice(0, 8)} at offset ${offset}: `),
        /damaged \(authentication failed\)/,
      );
      // An existing target given with --overwrite is left as it was when the restore fails.
      const dir = targetDir();
      const existing = path.join(dir, "old.img");
      writeFileSync(existing, "previous contents");
      const r = await runCli(["restore", "--repo", repo, rp.a, "--target", existing, "--overwrite"]);
      assert.equal(r.code, 1);
      assert.equal(readFileSync(existing, "utf8"), "previous contents");
      assert.deepEqual(readdirSync(dir), ["old.img"]);

      await assertRestores(repo, rp.b, path.join(targetDir(), "b.img"), images.b);
    } finally {
      undo();
    }
    await assertClean();
  });

  it("a damaged chunk shared by two restore points: check names both, not the third", async () => {
    const victim = chunkAt("a", 256 * KiB);
    assert.equal(chunkAt("b", HALF + 256 * KiB).id, victim.id);
    const undo = damageBlob(victim);
    try {
      const c = await checkJson(repo, true);
      assert.equal(c.code, 1);
      assert.deepEqual(c.damaged, [rp.a, rp.b].sort());
      assert.match(
        c.problems.find((p) => p.restorePoint === rp.a)?.message ?? "",
        /first at offset 262144: /,
      );
      assert.match(
        c.problems.find((p) => p.restorePoint === rp.b)?.message ?? "",
        new RegExp(`first at offset ${HALF + 256 * KiB}: `),
      );
      await assertRestoreFails("a", /disk 0 \(a\.img\) .* at offset 262144: /, /damaged/);
      await assertRestoreFails(
        "b",
        new RegExp(
          `disk 0 \\(b\\.img\\) of restore point ${rp.b.slice(0, 8)} at offset ${HALF + 256 * KiB}: `,
        ),
        /damaged/,
      );
      await assertRestores(repo, rp.c, path.join(targetDir(), "c.img"), images.c);
    } finally {
      undo();
    }
    await assertClean();
  });

  it("a missing pack: check names the restore points that need it, restore fails", async () => {
    // b's own pack holds its unique chunks and its chunk list; a and c do not need it.
    const pack = chunkAt("b", 0).file;
    assert.equal(layoutOf("b").lists[0]?.file, pack);
    assert.ok(layoutOf("a").chunks.every((c) => c.file !== pack));
    const aside = path.join(tmp.dir, "pack-aside");
    renameSync(pack, aside);
    try {
      // Even the quick check (no --read-data) sees a missing pack.
      const c = await checkJson(repo, false);
      assert.equal(c.code, 1);
      assert.deepEqual(c.damaged, [rp.b]);
      const packId = path.basename(pack);
      assert.ok(
        c.problems.some((p) => p.message === `pack ${packId} is missing`),
        c.stdout,
      );
      await assertRestoreFails(
        "b",
        new RegExp(`disk 0 \\(b\\.img\\) of restore point ${rp.b.slice(0, 8)} at offset 0: chunk list 0: `),
        new RegExp(`pack ${packId} is missing$`),
      );
      await assertRestores(repo, rp.a, path.join(targetDir(), "a.img"), images.a);
    } finally {
      renameSync(aside, pack);
    }
    await assertClean();
  });

  it("a damaged chunk list: check names its restore point, restore fails", async () => {
    const list = layoutOf("a").lists[0];
    assert.ok(list);
    const undo = damageBlob(list);
    try {
      for (const readData of [false, true]) {
        const c = await checkJson(repo, readData);
        assert.equal(c.code, 1, `check${readData ? " --read-data" : ""}`);
        assert.deepEqual(c.damaged, [rp.a]);
        assert.match(c.problems.find((p) => p.restorePoint === rp.a)?.message ?? "", /chunk list 0.*damaged/);
      }
      await assertRestoreFails(
        "a",
        new RegExp(`disk 0 \\(a\\.img\\) of restore point ${rp.a.slice(0, 8)} at offset 0: chunk list 0 `),
        /is damaged \(authentication failed\)/,
      );
      await assertRestores(repo, rp.b, path.join(targetDir(), "b.img"), images.b);
    } finally {
      undo();
    }
    await assertClean();
  });

  it("a damaged index file: check reports it and rebuild-index repairs it", async () => {
    const names = filesIn(repo, "index");
    assert.equal(names.length, 3, "one index file per backup");
    const name = names[0] ?? "";
    flipByte(path.join(repo, "index", name), 20);

    const c = await checkJson(repo, false);
    assert.equal(c.code, 1);
    const problem = c.problems.find((p) => p.message.includes(`index file ${name}`));
    assert.ok(problem, c.stdout);
    assert.match(problem.message, /is damaged \(authentication failed\); run `snapferry rebuild-index`$/);

    const rebuilt = await cliOk(["rebuild-index", "--repo", repo]);
    assert.match(rebuilt.stdout, /^indexed \d+ blobs in 3 packs$/m);
    assert.ok(!existsSync(path.join(repo, "index", name)), "the damaged index file is replaced");
    await assertClean();
    for (const n of ["a", "b", "c"] as const)
      await assertRestores(repo, rp[n], path.join(targetDir(), `${n}.img`), images[n]);
  });
});

describe("damaged data in an unencrypted repository", () => {
  const tmp = makeTempDir("corruption-plain");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "text.img");
  let bytes: Buffer;
  let rp: string;

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K", "--encryption", "none"]);
    // Text compresses: these chunks are stored zstd-compressed and sealed with a checksum only.
    bytes = seededText(new SeededBytes("plain text"), 4 * MiB);
    writeFileSync(image, bytes);
    const b = await backupJson(repo, image);
    assert.ok(b.stored < b.read / 2, `text should compress (stored ${b.stored} of ${b.read})`);
    rp = b.restorePoint;
  });
  after(() => tmp.cleanup());

  it("a flipped byte is caught by the checksum, in check and in restore", async () => {
    const { chunks } = await diskLayout(repo, rp);
    const victim = chunks[5];
    assert.ok(victim);
    const undo = damageBlob(victim);
    try {
      const c = await checkJson(repo, true);
      assert.equal(c.code, 1);
      assert.deepEqual(c.damaged, [rp]);
      assert.match(
        c.problems[0]?.message ?? "",
        new RegExp(`1 damaged chunks, first at offset ${victim.offset}: .*checksum mismatch`),
      );
      const dir = path.join(tmp.dir, "target");
      mkdirSync(dir);
      const r = await runCli(["restore", "--repo", repo, rp, "--target", path.join(dir, "t.img")]);
      assert.equal(r.code, 1);
      assert.match(
        errorLine(r.stderr),
        new RegExp(
          `^snapferry: error: disk 0 \\(text\\.img\\) of restore point ${rp.slice(0, 8)} at offset ${victim.offset}: chunk [0-9a-f]{16}… is damaged \\(checksum mismatch\\)$`,
        ),
      );
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      undo();
    }
    assert.deepEqual((await checkJson(repo, true)).problems, []);
    await assertRestores(repo, rp, path.join(tmp.dir, "restored.img"), bytes);
  });
});
