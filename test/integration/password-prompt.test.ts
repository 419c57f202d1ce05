import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CLI_PATH, requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

/** Runs the CLI on a pseudo-terminal (util-linux `script`) and types `answers` at its prompts. */
function onTerminal(args: string[], answers: string[]): Promise<{ code: number; output: string }> {
  requireTool("script", "util-linux");
  const env = { ...process.env };
  delete env.SNAPFERRY_PASSWORD;
  const command = [process.execPath, CLI_PATH, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let answered = 0;
  const onOutput = (d: Buffer): void => {
    output += d.toString();
    // Answer each prompt as it appears, as a person would.
    while (answered < answers.length && output.split("password:").length - 1 > answered) {
      child.stdin.write(`${answers[answered++]}\r`);
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, output })));
}

describe("password prompt on a terminal", () => {
  const tmp = makeTempDir("prompt");
  after(() => tmp.cleanup());
  const repo = path.join(tmp.dir, "repo");

  it("asks twice at init, never echoes, and opens the repository with the typed password", async () => {
    const init = await onTerminal(["init", "--repo", repo], ["typed secret", "typed secret"]);
    assert.equal(init.code, 0, init.output);
    assert.match(init.output, /Repository password:/);
    assert.match(init.output, /Repeat the password:/);
    assert.doesNotMatch(init.output, /typed secret/);
    const list = await onTerminal(["snapshots", "--repo", repo], ["typed secret"]);
    assert.equal(list.code, 0, list.output);
    assert.match(list.output, /no restore points/);
  });

  it("refuses a mistyped confirmation, and a wrong password says so", async () => {
    const init = await onTerminal(["init", "--repo", path.join(tmp.dir, "other")], ["one", "two"]);
    assert.equal(init.code, 2);
    assert.match(init.output, /the two passwords differ/);
    const wrong = await onTerminal(["snapshots", "--repo", repo], ["not it"]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.output, new RegExp(`wrong password for repository ${repo}`));
  });
});
