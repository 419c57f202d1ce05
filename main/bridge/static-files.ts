/** Sends one of the built renderer's files over HTTP, with the app's security headers. */
import { createReadStream, promises as fs } from "node:fs";
import type { ServerResponse } from "node:http";
import { SECURITY_HEADERS } from "../common/content-security-policy.js";
import { contentType } from "../common/static-path.js";

export async function sendFile(res: ServerResponse, file: string, method: string): Promise<void> {
  const stat = await fs.stat(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": contentType(file),
    "Content-Length": String(stat.size),
    // index.html names hashed assets: it must be fetched again, they may be cached.
    "Cache-Control": file.endsWith(".html") ? "no-store" : "private, max-age=3600",
  });
  if (method === "HEAD") {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on("error", reject);
    res.on("close", resolve);
    stream.pipe(res);
  });
}
