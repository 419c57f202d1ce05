/**
 * Trust on first use for ESXi and vCenter certificates: the SHA-256 thumbprint a user accepted for
 * each server, kept per user in the configuration folder. A missing file means no server is known
 * yet; a damaged one is an error, because guessing could mean trusting a certificate nobody accepted.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { parseThumbprint } from "./thumbprint.js";
import { configDir } from "../../common/config-dir.js";
import { SnapferryError, errnoCode, explainIoError } from "../../common/errors.js";
import { fsyncDirectory, temporaryName } from "../../repository/durable-fs.js";
import { serverKey } from "./server-key.js";

export const KNOWN_SERVERS_FILE_NAME = "known-servers.json";
const FORMAT_VERSION = 1;

export interface KnownServer {
  /** host:port, the host in lower case (IPv6 in brackets). */
  server: string;
  /** Colon-separated upper-case hex, as openssl and ESXi print it. */
  thumbprint: string;
  acceptedAt: Date;
}

export function knownServersFile(dir: string = configDir()): string {
  return path.join(dir, KNOWN_SERVERS_FILE_NAME);
}

/** The thumbprint the user accepted for this server, or undefined when it was never accepted. */
export async function knownThumbprint(
  server: string,
  file = knownServersFile(),
): Promise<string | undefined> {
  const servers = await load(file);
  return servers.get(serverKey(server))?.thumbprint;
}

/** Every server the user accepted, sorted by name: for a settings screen or `--json` output. */
export async function listKnownServers(file = knownServersFile()): Promise<KnownServer[]> {
  return [...(await load(file)).values()].sort((a, b) => a.server.localeCompare(b.server));
}

/** Records the user's acceptance of a certificate; returns the thumbprint as stored. */
export async function rememberThumbprint(
  server: string,
  thumbprint: string,
  file = knownServersFile(),
): Promise<string> {
  const entry = {
    server: serverKey(server),
    thumbprint: parseThumbprint(thumbprint),
    acceptedAt: new Date(),
  };
  await update(file, (servers) => {
    servers.set(entry.server, entry);
    return true;
  });
  return entry.thumbprint;
}

/** Forgets a server's certificate, so the next connection asks again. False if it was not known. */
export async function forgetServer(server: string, file = knownServersFile()): Promise<boolean> {
  const key = serverKey(server);
  let found = false;
  await update(file, (servers) => (found = servers.delete(key)));
  return found;
}

export class KnownServersCorruptError extends SnapferryError {
  constructor(file: string, detail: string) {
    super(
      "corrupt-data",
      `the list of accepted server certificates, ${file}, is damaged: ${detail}`,
      `Snapferry trusts no server certificate until it can read this file. Repair it, or delete it to forget every accepted thumbprint (each server's thumbprint is then shown again for you to accept).`,
    );
  }
}

type ServerMap = Map<string, KnownServer>;

// Writers in one process take turns, so two acceptances at once cannot drop each other.
const pending = new Map<string, Promise<unknown>>();

/** Applies `change` to the stored list; it returns whether anything changed, so a no-op writes nothing. */
async function update(file: string, change: (servers: ServerMap) => boolean): Promise<void> {
  const previous = pending.get(file) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      const servers = await load(file);
      if (change(servers)) await save(file, servers);
    });
  pending.set(file, next);
  try {
    await next;
  } finally {
    if (pending.get(file) === next) pending.delete(file);
  }
}

async function load(file: string): Promise<ServerMap> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return new Map();
    throw new SnapferryError(
      "config",
      `cannot read the list of accepted server certificates, ${file} (${errnoCode(err) ?? String(err)})`,
      "Check that this file is readable by you; Snapferry trusts no server certificate until it is.",
      { cause: err },
    );
  }
  return parse(text, file);
}

function parse(text: string, file: string): ServerMap {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new KnownServersCorruptError(file, "it is not valid JSON");
  }
  if (!isRecord(document)) throw new KnownServersCorruptError(file, "it is not a JSON object");
  if (typeof document.version === "number" && document.version > FORMAT_VERSION) {
    throw new SnapferryError(
      "corrupt-data",
      `${file} was written by a newer Snapferry (format ${document.version})`,
      "Upgrade Snapferry to use it.",
    );
  }
  if (document.version !== FORMAT_VERSION) throw new KnownServersCorruptError(file, "its version is missing");
  if (!isRecord(document.servers)) throw new KnownServersCorruptError(file, `"servers" is not an object`);
  const servers: ServerMap = new Map();
  for (const [key, value] of Object.entries(document.servers)) {
    servers.set(key, parseEntry(key, value, file));
  }
  return servers;
}

function parseEntry(key: string, value: unknown, file: string): KnownServer {
  const invalid = (what: string): KnownServersCorruptError =>
    new KnownServersCorruptError(file, `the entry "${key}" ${what}`);
  if (!isRecord(value)) throw invalid("is not an object");
  if (!isCanonical(key, serverKey)) throw invalid("is not a host:port in lower case");
  const { thumbprint, acceptedAt } = value;
  if (typeof thumbprint !== "string" || !isCanonical(thumbprint, parseThumbprint)) {
    throw invalid("has no valid SHA-256 thumbprint");
  }
  const date = typeof acceptedAt === "string" ? new Date(acceptedAt) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw invalid("has no valid acceptedAt date");
  return { server: key, thumbprint, acceptedAt: date };
}

/** A stored value must already be in normal form: anything else was not written by Snapferry. */
function isCanonical(text: string, normalize: (text: string) => string): boolean {
  try {
    return normalize(text) === text;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function save(file: string, servers: ServerMap): Promise<void> {
  const dir = path.dirname(file);
  const entries = [...servers.values()]
    .sort((a, b) => a.server.localeCompare(b.server))
    .map((s) => [s.server, { thumbprint: s.thumbprint, acceptedAt: s.acceptedAt.toISOString() }]);
  const text = JSON.stringify({ version: FORMAT_VERSION, servers: Object.fromEntries(entries) }, null, 2);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeAtomically(file, text + "\n");
}

/** Readers see the old file or the new one, never a torn one: temp file, fsync, rename, fsync dir. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${temporaryName()}`);
  try {
    const handle = await fs.open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await fsyncDirectory(path.dirname(file));
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw explainIoError(err, file, "Free space on that disk, then accept the certificate again.");
  }
}
