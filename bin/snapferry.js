#!/usr/bin/env node
// The installed `snapferry` command. It runs the compiled CLI; `npm run build` makes it.
import { existsSync } from "node:fs";

const entry = new URL("../dist/main/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "snapferry: error: the CLI is not built yet\nhint: run `npm run build` in the project folder.\n",
  );
  process.exit(1);
}
await import(entry.href);
