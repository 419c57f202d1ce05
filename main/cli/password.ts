/**
 * Where the CLI gets a repository password: SNAPFERRY_PASSWORD, --password-file, or a prompt on a
 * terminal (as restic does). Never from argv, where other users could read it.
 */
import { promises as fs } from "node:fs";
import { SnapferryError } from "../common/errors.js";
import type { PasswordProvider } from "../repository/repository.js";

/** Which repository a password is for, when a command opens two (copy: the source and the target). */
export interface PasswordSource {
  /** Environment variables tried in order (SNAPFERRY_PASSWORD by default). */
  env: readonly string[];
  /** How messages name the repository ("the repository", "the source repository"). */
  name: string;
  prompt: string;
  /** How messages name the option that gives a password file. */
  fileOption: string;
}

const DEFAULT_SOURCE: PasswordSource = {
  env: ["SNAPFERRY_PASSWORD"],
  name: "the repository",
  prompt: "Repository password: ",
  fileOption: "--password-file",
};

export function passwordProvider(
  passwordFile: string | undefined,
  confirm = false,
  source: PasswordSource = DEFAULT_SOURCE,
): PasswordProvider {
  let cached: string | undefined;
  return async () => {
    cached ??= await obtain(passwordFile, confirm, source);
    return cached;
  };
}

async function obtain(
  passwordFile: string | undefined,
  confirm: boolean,
  source: PasswordSource,
): Promise<string> {
  if (passwordFile) {
    let text: string;
    try {
      text = await fs.readFile(passwordFile, "utf8");
    } catch {
      throw new SnapferryError("usage", `cannot read password file ${passwordFile}`);
    }
    const password = text.replace(/\r?\n$/, "");
    if (password === "") throw new SnapferryError("usage", `password file ${passwordFile} is empty`);
    return password;
  }
  for (const name of source.env) {
    const fromEnv = process.env[name];
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  }
  if (!process.stdin.isTTY) {
    throw new SnapferryError(
      "usage",
      `${source.name} needs a password and none was given`,
      `Set ${source.env.join(" or ")} or pass ${source.fileOption} FILE.`,
    );
  }
  const password = await promptHidden(source.prompt);
  if (password === "") throw new SnapferryError("usage", "the password is empty");
  if (confirm && (await promptHidden("Repeat the password: ")) !== password) {
    throw new SnapferryError("usage", "the two passwords differ");
  }
  return password;
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    // Echo off before the question appears: whatever is typed once it shows must never echo.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    let value = "";
    const onData = (data: Buffer): void => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stderr.write("\n");
          resolve(value);
          return;
        }
        if (ch === "\u0003") process.exit(130);
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
