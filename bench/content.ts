/**
 * Deterministic file contents that compress like the real thing, so that the benchmark image makes
 * the tools do realistic work: zstd/lz4 must find something in text, JSON and executables, and
 * nothing in media. Pure random bytes everywhere would overstate nobody's speed; zeros everywhere
 * would flatter everybody. No downloads: everything comes from a SeededBytes stream.
 *
 * Each generator returns exactly `n` bytes. zstd -3 ratios measured on 16 MiB of each: logs 4.2x,
 * source 4.5x, JSON 2.6x, prose 2.7x, binaries 1.8x, media 1.0x.
 */
import { SeededBytes, seededText } from "../main/demo/disk-image.js";

export type ContentKind = "logs" | "source" | "json" | "binary" | "prose" | "media";

export function generate(kind: ContentKind, rng: SeededBytes, n: number): Buffer {
  switch (kind) {
    case "logs":
      return logText(rng, n);
    case "source":
      return sourceText(rng, n);
    case "json":
      return jsonText(rng, n);
    case "binary":
      return semiCompressible(rng, n);
    case "prose":
      return seededText(rng, n);
    case "media":
      return rng.bytes(n);
  }
}

/** A size drawn log-uniformly from [min, max]: many small ones, a few big ones, as file sizes are. */
export function logUniform(rng: SeededBytes, min: number, max: number): number {
  const u = rng.int(1_000_000) / 1_000_000;
  return Math.round(min * Math.pow(max / min, u));
}

function pick<T>(rng: SeededBytes, list: readonly T[]): T {
  const v = list[rng.int(list.length)];
  if (v === undefined) throw new Error("pick from an empty list");
  return v;
}

/** Joins lines until `n` bytes and cuts exactly there (a file ends mid-line, as logs do when copied). */
function linesToBuffer(n: number, nextLine: () => string): Buffer {
  const parts: string[] = [];
  let size = 0;
  while (size < n) {
    const line = nextLine();
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(""), "latin1").subarray(0, n);
}

const HOSTS = ["web-01", "web-02", "db-01", "cache-01", "worker-07", "edge-3"];
const SERVICES = ["nginx", "app", "postgres", "sshd", "cron", "kernel", "systemd", "redis"];
const LEVELS = ["INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"];
const PATHS = ["/api/v1/orders", "/api/v1/users", "/static/app.js", "/login", "/api/v2/search", "/health"];
const MESSAGES = [
  "processed order",
  "cache miss for key",
  "connection accepted from",
  "checkpoint complete: wrote buffers",
  "session opened for user",
  "slow query detected on table",
  "retrying request to upstream",
  "rotated credentials for",
];

/** Syslog/application log lines: timestamps that increase, a few templates, random ids. */
function logText(rng: SeededBytes, n: number): Buffer {
  let t = 1_700_000_000_000 + rng.int(86_400_000);
  return linesToBuffer(n, () => {
    t += rng.int(900);
    const ts = new Date(t).toISOString();
    const host = pick(rng, HOSTS);
    const svc = pick(rng, SERVICES);
    const pid = 1000 + rng.int(30000);
    if (svc === "nginx") {
      return `${ts} ${host} nginx[${pid}]: 10.0.${rng.int(256)}.${rng.int(256)} - - "GET ${pick(rng, PATHS)}/${rng.int(100000)} HTTP/1.1" ${pick(rng, [200, 200, 200, 304, 404, 500])} ${rng.int(90000)} rt=0.${String(rng.int(1000)).padStart(3, "0")}\n`;
    }
    return `${ts} ${host} ${svc}[${pid}]: ${pick(rng, LEVELS)} ${pick(rng, MESSAGES)} id=${rng.int(10_000_000)} user=u${rng.int(50000)} took=${rng.int(5000)}ms\n`;
  });
}

const IDENTS = [
  "buffer",
  "offset",
  "length",
  "result",
  "config",
  "handler",
  "request",
  "response",
  "index",
  "count",
  "entry",
  "state",
  "value",
  "options",
  "context",
  "stream",
  "chunk",
  "target",
];
const TYPES = ["int", "size_t", "struct node *", "const char *", "uint64_t", "bool", "void *"];

function ident(rng: SeededBytes): string {
  const a = pick(rng, IDENTS);
  return rng.int(2) === 0 ? a : `${a}_${pick(rng, IDENTS)}`;
}

/** C-like source: functions, conditions, calls and comments, indented like code is. */
function sourceText(rng: SeededBytes, n: number): Buffer {
  let depth = 0;
  return linesToBuffer(n, () => {
    const pad = "    ".repeat(depth);
    const r = rng.int(10);
    if (depth === 0) {
      depth = 1;
      return `\n/* ${ident(rng)}: ${pick(rng, MESSAGES)} */\nstatic ${pick(rng, TYPES)} ${ident(rng)}(${pick(rng, TYPES)} ${ident(rng)}, ${pick(rng, TYPES)} ${ident(rng)})\n{\n`;
    }
    if (r < 2 && depth < 4) {
      depth++;
      return `${pad}if (${ident(rng)} ${pick(rng, ["==", "!=", "<", ">="])} ${rng.int(4096)}) {\n`;
    }
    if (r < 4) {
      depth--;
      return `${"    ".repeat(depth)}}\n`;
    }
    if (r < 5) return `${pad}// ${pick(rng, MESSAGES)} ${ident(rng)}\n`;
    return `${pad}${ident(rng)} = ${ident(rng)}(${ident(rng)}, ${rng.int(65536)});\n`;
  });
}

/** JSON records with some random payload (ids, base64), which compress worse than prose. */
function jsonText(rng: SeededBytes, n: number): Buffer {
  return linesToBuffer(n, () => {
    const id = rng.bytes(16).toString("hex");
    const payload = rng.bytes(12 + rng.int(36)).toString("base64");
    return `{"id":"${id}","ts":${1_700_000_000 + rng.int(10_000_000)},"user":{"name":"${ident(rng)}","tier":"${pick(rng, ["free", "pro", "team"])}"},"tags":["${pick(rng, IDENTS)}","${pick(rng, IDENTS)}"],"score":0.${rng.int(100000)},"payload":"${payload}"}\n`;
  });
}

/** Machine code has a skewed byte distribution: a small alphabet of opcodes and small operands. */
const OPCODES = (() => {
  const rng = new SeededBytes("opcodes");
  const common = Array.from({ length: 24 }, () => rng.int(256));
  return Buffer.from(Array.from({ length: 256 }, (_, i) => (i < 224 ? (common[i % 24] ?? 0) : i)));
})();

/**
 * Executable- or database-like binaries, about 2x compressible: sections of code-like bytes,
 * integer tables with small deltas, string tables, zero padding to 4 KiB, and embedded
 * already-compressed resources.
 */
function semiCompressible(rng: SeededBytes, n: number): Buffer {
  const out = Buffer.alloc(n);
  let at = 0;
  while (at < n) {
    const len = Math.min(n - at, 4096 * (1 + rng.int(32)));
    const part = out.subarray(at, at + len);
    const kind = rng.int(10);
    if (kind < 4) {
      const raw = rng.bytes(len);
      for (let i = 0; i < len; i++) part[i] = OPCODES[raw[i] ?? 0] ?? 0;
    } else if (kind < 6) {
      let v = rng.int(1 << 20);
      for (let i = 0; i + 4 <= len; i += 4) {
        v = (v + rng.int(64)) >>> 0;
        part.writeUInt32LE(v, i);
      }
    } else if (kind < 8) {
      part.write(linesToBuffer(len, () => `${ident(rng)}\0`).toString("latin1"), "latin1");
    } else if (kind < 9) {
      rng.bytes(len).copy(part);
    }
    // kind 9: leave zeros (alignment padding, unused table slots)
    at += len;
  }
  return out;
}
