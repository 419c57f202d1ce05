/**
 * A second process on the same catalog file, as a CLI run next to the app would be. Driven by the
 * catalog tests: `node catalog-process.js MODE FILE [COUNT]`.
 *   write   COUNT runs started, logged and finished, each in its own transactions; prints "done N"
 *   abandon starts a run, prints its id and dies by SIGKILL, leaving it "running"
 *   hold    starts a run, prints its id, and finishes it when stdin closes
 */
import { fileURLToPath } from "node:url";
import { openCatalog } from "../../main/catalog/catalog.js";

export const CATALOG_PROCESS = fileURLToPath(import.meta.url);

async function main(): Promise<void> {
  const [mode, file, countText] = process.argv.slice(2);
  if (!mode || !file) throw new Error("usage: catalog-process.js MODE FILE [COUNT]");
  const catalog = openCatalog(file);
  if (mode === "write") {
    const count = Number(countText ?? "100");
    for (let i = 0; i < count; i++) {
      const run = catalog.runs.start({ jobId: null, kind: "check", title: `child ${i}`, repositoryId: null });
      catalog.runs.log({
        runId: run.id,
        time: new Date().toISOString(),
        level: "info",
        message: `line ${i}`,
      });
      catalog.runs.finish(run.id, {
        status: "succeeded",
        bytesRead: i,
        bytesStored: 0,
        restorePointId: null,
        error: null,
      });
      // Let the parent's writes interleave with ours rather than queue behind a tight loop.
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    catalog.close();
    process.stdout.write(`done ${count}\n`);
  } else if (mode === "abandon" || mode === "hold") {
    const run = catalog.runs.start({ jobId: null, kind: "backup", title: mode, repositoryId: null });
    process.stdout.write(`${run.id}\n`);
    if (mode === "abandon") process.kill(process.pid, "SIGKILL");
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on("end", resolve));
    catalog.runs.finish(run.id, {
      status: "succeeded",
      bytesRead: 0,
      bytesStored: 0,
      restorePointId: null,
      error: null,
    });
    catalog.close();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

if (process.argv[1] === CATALOG_PROCESS) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
