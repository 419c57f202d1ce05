/**
 * USB rotation: a copy target known by its id is found under a mount root at whatever path it is
 * plugged in, the catalog follows it, the pending copies run, and the user hears when it is safe
 * to unplug. Real repositories, real catalog, real scans of a folder standing in for /media.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository } from "../../main/catalog/rebuild.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import {
  RepositoryWatcher,
  findRepositories,
  type FoundRepository,
} from "../../main/jobs/repository-watch.js";
import type { Timer } from "../../main/jobs/scheduler.js";
import type { AppContext } from "../../main/services/app-context.js";
import { saveJob } from "../../main/services/job-service.js";
import { repositoryAppeared } from "../../main/services/usb-rotation.js";
import { TEST_PASSWORD, cliOk } from "../support/cli.js";
import { MiB, backupJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";
import { testAppContext } from "../support/job-context.js";

const noTimer: Timer = { set: () => () => undefined };

describe("USB rotation", () => {
  const tmp = makeTempDir("usb");
  const media = path.join(tmp.dir, "media");
  const primary = path.join(tmp.dir, "primary");
  const firstMount = path.join(media, "BACKUP-A", "snapferry");
  const image = path.join(tmp.dir, "server.img");
  const catalog = openCatalog(path.join(tmp.dir, "catalog.sqlite"));
  let usbId = "";
  let ctx: AppContext;
  let bytes: Buffer;

  before(async () => {
    mkdirSync(path.dirname(firstMount), { recursive: true });
    await cliOk(["init", "--repo", primary, "--chunk-size", "256K"]);
    await cliOk(["init", "--repo", firstMount, "--chunk-size", "256K"]);
    bytes = new SeededBytes("usb").bytes(3 * MiB);
    writeFileSync(image, bytes);
    await backupJson(primary, image);
    const source = catalog.sources.add({ kind: "image", name: "server", location: image, user: null });
    const p = await openExistingRepository(catalog, { path: primary, password: TEST_PASSWORD });
    const u = await openExistingRepository(catalog, {
      path: firstMount,
      password: TEST_PASSWORD,
      name: "Friday disk",
    });
    usbId = u.repository.repositoryId;
    ctx = testAppContext(catalog);
    // A job runs unattended: the passwords are in the keychain.
    await ctx.passwords.rememberRepository(p.repository.repositoryId, TEST_PASSWORD, true);
    await ctx.passwords.rememberRepository(usbId, TEST_PASSWORD, true);
    saveJob(catalog, "nightly", {
      version: 1,
      sourceId: source.id,
      selection: { kind: "source" },
      repositoryId: p.repository.repositoryId,
      schedule: null,
      copies: [{ repositoryId: usbId, retention: { last: 5, daily: 0, weekly: 0, monthly: 0, yearly: 0 } }],
      concurrency: 1,
      retries: { attempts: 0, backoffSeconds: 1 },
      allowCrashConsistent: false,
    });
  });
  after(() => {
    catalog.close();
    tmp.cleanup();
  });

  it("finds repositories by id under the mount roots", async () => {
    const found = await findRepositories([media]);
    assert.deepEqual(found, [{ id: usbId, path: firstMount }]);
  });

  it("follows the disk to a new mount path, runs the pending copy, and says when to unplug", async () => {
    const events: string[] = [];
    const told: string[] = [];
    let outcome: ReturnType<typeof repositoryAppeared>;
    const watcher = new RepositoryWatcher({
      timer: noTimer,
      known: () => new Set(catalog.repositories.list().map((r) => r.repositoryId)),
      scan: () => findRepositories([media]),
      online: (found: FoundRepository) => {
        events.push(`online ${found.path}`);
        outcome = repositoryAppeared(ctx, found, (m) => told.push(m));
      },
      offline: (id) => events.push(`offline ${id}`),
    });
    await watcher.poll();
    await outcome?.done;
    // Unplugged, then plugged in again where the system names it differently.
    const away = path.join(tmp.dir, "on-the-shelf");
    renameSync(path.join(media, "BACKUP-A"), away);
    await watcher.poll();
    const secondMount = path.join(media, "BACKUP-A1", "snapferry");
    mkdirSync(path.dirname(path.dirname(secondMount)), { recursive: true });
    renameSync(away, path.dirname(secondMount));
    await watcher.poll();
    await outcome?.done;
    await ctx.runs.idle();
    assert.deepEqual(events, [`online ${firstMount}`, `offline ${usbId}`, `online ${secondMount}`]);
    assert.equal(
      catalog.repositories.get(usbId)?.path,
      secondMount,
      "the catalog follows the disk by its id",
    );
    assert.match(told.at(-1) ?? "", /copies to Friday disk have ended: it is safe to unplug it/);
    const restored = path.join(tmp.dir, "restored.img");
    await cliOk(["restore", "--repo", secondMount, "latest", "--target", restored]);
    assert.ok(readFileSync(restored).equals(bytes), "the copy on the USB disk restores bit for bit");
    const runs = catalog.runs.list({}).filter((r) => r.title === "Copy of nightly to Friday disk");
    assert.equal(runs.length, 2);
    assert.ok(runs.every((r) => r.status === "succeeded"));
    const logs = runs.flatMap((r) => catalog.runs.logs(r.id).map((l) => l.message));
    assert.ok(logs.includes("1 restore point(s) copied"), logs.join("\n"));
    assert.ok(logs.includes("0 restore point(s) copied"), "the second plug-in moves nothing new");
  });
});
