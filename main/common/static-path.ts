/**
 * Where the renderer's files are, by URL path, for both servers of the UI (Electron's app://
 * protocol and the loopback bridge): only regular files below the folder, by their decoded,
 * normalised path (no "..", no hidden files, no symlink out), with the type their extension says.
 */
import { promises as fs } from "node:fs";
import path from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** The file under ROOT that URL path PATHNAME names, or undefined when it names nothing servable. */
export async function resolveStatic(root: string, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const relative = path.posix.normalize(decoded === "/" ? "/index.html" : decoded).replace(/^\/+/, "");
  if (relative.split("/").some((part) => part.startsWith(".") || part === "")) return undefined;
  const realRoot = await fs.realpath(root).catch(() => undefined);
  if (!realRoot) return undefined;
  const real = await fs.realpath(path.join(realRoot, relative)).catch(() => undefined);
  if (!real || !real.startsWith(realRoot + path.sep)) return undefined;
  const stat = await fs.stat(real).catch(() => undefined);
  return stat?.isFile() ? real : undefined;
}

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}
