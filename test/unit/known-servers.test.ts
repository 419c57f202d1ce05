import { parseThumbprint } from "../../main/sources/vsphere/thumbprint.js";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { configDir } from "../../main/common/config-dir.js";
import { SnapferryError } from "../../main/common/errors.js";
import {
  KnownServersCorruptError,
  forgetServer,
  knownServersFile,
  knownThumbprint,
  listKnownServers,
  rememberThumbprint,
} from "../../main/sources/vsphere/known-servers.js";
import { serverKey } from "../../main/sources/vsphere/server-key.js";
import { makeTempDir } from "../support/tmp.js";

const OPENSSL =
  "3F:A0:1B:22:9C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7:F8:09:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7";
const OTHER =
  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

describe("configuration folder", () => {
  const home = "/home/ada";
  it("follows each platform's convention", () => {
    assert.equal(configDir({ env: {}, platform: "linux", home }), "/home/ada/.config/snapferry");
    assert.equal(configDir({ env: { XDG_CONFIG_HOME: "/xdg" }, platform: "linux", home }), "/xdg/snapferry");
    assert.equal(
      configDir({ env: { XDG_CONFIG_HOME: "rel" }, platform: "linux", home }),
      "/home/ada/.config/snapferry",
    );
    assert.equal(
      configDir({ env: {}, platform: "darwin", home: "/Users/ada" }),
      "/Users/ada/Library/Application Support/Snapferry",
    );
    assert.equal(
      configDir({
        env: { APPDATA: "C:\\Users\\ada\\AppData\\Roaming" },
        platform: "win32",
        home: "C:\\Users\\ada",
      }),
      "C:\\Users\\ada\\AppData\\Roaming\\Snapferry",
    );
  });

  it("is overridden by SNAPFERRY_CONFIG_DIR on every platform", () => {
    for (const platform of ["linux", "darwin", "win32"] as const) {
      assert.equal(configDir({ env: { SNAPFERRY_CONFIG_DIR: "/tmp/sf" }, platform, home }), "/tmp/sf");
    }
  });
});

describe("thumbprints and server names", () => {
  it("normalises any case, with or without colons, to openssl's form", () => {
    assert.equal(parseThumbprint(OPENSSL.toLowerCase()), OPENSSL);
    assert.equal(parseThumbprint(OPENSSL.replace(/:/g, "")), OPENSSL);
    assert.equal(parseThumbprint(` ${OPENSSL} `), OPENSSL);
  });

  it("refuses what is not 32 bytes of hex, and names SHA-1", () => {
    assert.throws(() => parseThumbprint(OPENSSL.slice(3)), /is not a SHA-256 thumbprint/);
    assert.throws(() => parseThumbprint(OPENSSL.replace("3F", "3G")), /is not a SHA-256 thumbprint/);
    assert.throws(() => parseThumbprint(""), /is not a SHA-256 thumbprint/);
    assert.throws(() => parseThumbprint(OPENSSL.slice(0, 59)), /SHA-1 thumbprint.*SHA-256/);
  });

  it("keys servers by lower-case host and port, 443 by default", () => {
    assert.equal(serverKey("ESXi01.Example.COM"), "esxi01.example.com:443");
    assert.equal(serverKey("esxi01.example.com.:443"), "esxi01.example.com:443");
    assert.equal(serverKey("10.0.0.5:8443"), "10.0.0.5:8443");
    assert.equal(serverKey("[FD00::5]:443"), "[fd00::5]:443");
    assert.equal(serverKey("fd00::5"), "[fd00::5]:443");
    for (const bad of ["", "host:0", "host:70000", "host:x", "https://host", "a b"]) {
      assert.throws(() => serverKey(bad), SnapferryError, bad);
    }
  });
});

describe("known servers", () => {
  const tmp = makeTempDir("known-servers");
  after(() => tmp.cleanup());
  let n = 0;
  const freshFile = (): string => path.join(tmp.dir, `cfg-${++n}`, "known-servers.json");

  it("lives in the configuration folder that SNAPFERRY_CONFIG_DIR names", async () => {
    const saved = process.env.SNAPFERRY_CONFIG_DIR;
    process.env.SNAPFERRY_CONFIG_DIR = path.join(tmp.dir, "env-config");
    try {
      assert.equal(knownServersFile(), path.join(tmp.dir, "env-config", "known-servers.json"));
      await rememberThumbprint("esxi01", OPENSSL);
      assert.equal(await knownThumbprint("ESXI01:443"), OPENSSL);
      await fs.access(path.join(tmp.dir, "env-config", "known-servers.json"));
    } finally {
      if (saved === undefined) delete process.env.SNAPFERRY_CONFIG_DIR;
      else process.env.SNAPFERRY_CONFIG_DIR = saved;
    }
  });

  it("knows nothing when the file is missing, and creates nothing by reading", async () => {
    const file = freshFile();
    assert.equal(await knownThumbprint("esxi01", file), undefined);
    assert.deepEqual(await listKnownServers(file), []);
    assert.equal(await forgetServer("esxi01", file), false);
    await assert.rejects(fs.access(path.dirname(file)), /ENOENT/);
  });

  it("remembers per server (host case-insensitive, port significant) and forgets", async () => {
    const file = freshFile();
    assert.equal(await rememberThumbprint("ESXi01.example.com", OPENSSL.toLowerCase(), file), OPENSSL);
    await rememberThumbprint("esxi01.example.com:8443", OTHER.replace(/:/g, ""), file);
    assert.equal(await knownThumbprint("esxi01.EXAMPLE.com:443", file), OPENSSL);
    assert.equal(await knownThumbprint("esxi01.example.com:8443", file), OTHER);
    assert.equal(await knownThumbprint("esxi02.example.com", file), undefined);
    assert.deepEqual(
      (await listKnownServers(file)).map((s) => s.server),
      ["esxi01.example.com:443", "esxi01.example.com:8443"],
    );
    await rememberThumbprint("esxi01.example.com", OTHER, file);
    assert.equal(
      await knownThumbprint("esxi01.example.com", file),
      OTHER,
      "a new acceptance replaces the old",
    );
    assert.equal(await forgetServer("ESXI01.example.com", file), true);
    assert.equal(await knownThumbprint("esxi01.example.com", file), undefined);
    assert.equal(await knownThumbprint("esxi01.example.com:8443", file), OTHER);
  });

  it("refuses to store an invalid thumbprint and leaves the file untouched", async () => {
    const file = freshFile();
    await rememberThumbprint("esxi01", OPENSSL, file);
    const before = await fs.readFile(file, "utf8");
    await assert.rejects(rememberThumbprint("esxi02", "not-a-thumbprint", file), /not a SHA-256 thumbprint/);
    assert.equal(await fs.readFile(file, "utf8"), before);
  });

  it("writes a readable JSON file, mode 0600, with no temporary file left behind", async () => {
    const file = freshFile();
    await rememberThumbprint("esxi01", OPENSSL, file);
    const doc = JSON.parse(await fs.readFile(file, "utf8")) as {
      version: number;
      servers: Record<string, { thumbprint: string; acceptedAt: string }>;
    };
    assert.equal(doc.version, 1);
    assert.equal(doc.servers["esxi01:443"]?.thumbprint, OPENSSL);
    assert.ok(!Number.isNaN(Date.parse(doc.servers["esxi01:443"]?.acceptedAt ?? "")));
    if (process.platform !== "win32") {
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.dirname(file))).mode & 0o077, 0, "the folder is private");
    }
    assert.deepEqual(await fs.readdir(path.dirname(file)), ["known-servers.json"]);
  });

  it("keeps every acceptance when several are made at once", async () => {
    const file = freshFile();
    const hosts = Array.from({ length: 20 }, (_, i) => `esxi${i}`);
    await Promise.all(hosts.map((h) => rememberThumbprint(h, OPENSSL, file)));
    assert.equal((await listKnownServers(file)).length, hosts.length);
  });

  const corrupt: [string, string, RegExp][] = [
    ["empty", "", /not valid JSON/],
    ["truncated", '{"version":1,"servers":{"esxi01:443":{"thumb', /not valid JSON/],
    ["an array", "[]", /not a JSON object/],
    ["without version", '{"servers":{}}', /version is missing/],
    ["without servers", '{"version":1}', /"servers" is not an object/],
    ["with a short thumbprint", entry("esxi01:443", "AB:CD"), /no valid SHA-256 thumbprint/],
    ["with a lower-case thumbprint", entry("esxi01:443", OPENSSL.toLowerCase()), /no valid SHA-256/],
    ["with an upper-case host", entry("ESXI01:443", OPENSSL), /not a host:port in lower case/],
    ["with a bad date", entry("esxi01:443", OPENSSL, "yesterday"), /no valid acceptedAt/],
  ];
  for (const [what, text, reason] of corrupt) {
    it(`refuses a file ${what}, naming the file, and trusts nothing`, async () => {
      const file = freshFile();
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
      for (const attempt of [
        () => knownThumbprint("esxi01", file),
        () => rememberThumbprint("esxi02", OPENSSL, file),
        () => forgetServer("esxi01", file),
      ]) {
        await assert.rejects(attempt(), (err: unknown) => {
          assert.ok(err instanceof KnownServersCorruptError, String(err));
          assert.match(err.message, reason);
          assert.ok(err.message.includes(file), err.message);
          assert.match(err.hint ?? "", /delete it/);
          return true;
        });
      }
      assert.equal(await fs.readFile(file, "utf8"), text, "a damaged file is never overwritten");
    });
  }

  it("says when the file comes from a newer Snapferry", async () => {
    const file = freshFile();
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"version":2,"servers":{}}');
    await assert.rejects(knownThumbprint("esxi01", file), /written by a newer Snapferry/);
  });
});

function entry(key: string, thumbprint: string, acceptedAt = "2026-11-27T00:00:00.000Z"): string {
  return JSON.stringify({ version: 1, servers: { [key]: { thumbprint, acceptedAt } } });
}
