/**
 * The keychain store against the real Secret Service: gnome-keyring in a private D-Bus session,
 * with HOME and XDG_RUNTIME_DIR in a temporary folder so the user's own keyring is never touched.
 * The keychain work runs in child processes (this same file, started with a step name), because
 * the session bus exists only inside dbus-run-session.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SnapferryError } from "../../main/common/errors.js";
import { configDir } from "../../main/common/config-dir.js";
import {
  resolveVspherePassword,
  vsphereCredentialService,
} from "../../main/sources/vsphere/credential-store.js";
import { KeychainCredentialStore } from "../../main/sources/vsphere/keychain-credential-store.js";
import { knownThumbprint, rememberThumbprint } from "../../main/sources/vsphere/known-servers.js";
import { requireTool } from "../support/cli.js";
import { isolatedEnv } from "../support/isolated-env.js";
import { makeTempDir } from "../support/tmp.js";

const STEP_VARIABLE = "SNAPFERRY_KEYCHAIN_TEST_STEP";
const SECRET_VARIABLE = "SNAPFERRY_KEYCHAIN_TEST_SECRET";
const SERVER = "ESXi01.example.com";
const USER = "root";
const THUMBPRINT =
  "3F:A0:1B:22:9C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7:F8:09:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7";
const SELF = fileURLToPath(import.meta.url);

// ---- the child: runs one step against whatever keychain its environment reaches -------------

type Observations = Record<string, unknown>;

const steps: Record<string, (secret: string) => Promise<Observations>> = {
  async store(secret) {
    const store = new KeychainCredentialStore();
    const service = vsphereCredentialService(SERVER);
    const before = await store.get(service, USER);
    await store.set(service, USER, secret);
    // A known server too, so the configuration folder holds what Snapferry writes there.
    await rememberThumbprint(SERVER, THUMBPRINT);
    return { emptyBefore: before === undefined, configDir: configDir() };
  },

  async "read-delete"(secret) {
    const store = new KeychainCredentialStore();
    const service = vsphereCredentialService(SERVER);
    const got = await store.get(service, USER);
    const resolved = await resolveVspherePassword({
      server: "esxi01.EXAMPLE.com:443",
      user: USER,
      env: {},
      store,
    });
    const otherAccount = await store.get(service, "administrator");
    const otherServer = await store.get(vsphereCredentialService("esxi02.example.com"), USER);
    const deleted = await store.delete(service, USER);
    const deletedAgain = await store.delete(service, USER);
    const after = await store.get(service, USER);
    return {
      sameSecret: got === secret,
      resolvedFrom: resolved.source,
      resolvedSame: resolved.password === secret,
      otherAccount: otherAccount === undefined,
      otherServer: otherServer === undefined,
      deleted,
      deletedAgain,
      goneAfter: after === undefined,
      thumbprint: await knownThumbprint(SERVER),
    };
  },

  async unavailable(secret) {
    const store = new KeychainCredentialStore();
    const service = vsphereCredentialService(SERVER);
    const outcome = async (operation: () => Promise<unknown>): Promise<Observations> => {
      try {
        return { resolved: (await operation()) ?? null };
      } catch (err) {
        return describeError(err);
      }
    };
    return {
      get: await outcome(() => store.get(service, USER)),
      set: await outcome(() => store.set(service, USER, secret)),
      delete: await outcome(() => store.delete(service, USER)),
      resolve: await outcome(() => resolveVspherePassword({ server: SERVER, user: USER, env: {}, store })),
    };
  },
};

function describeError(err: unknown): Observations {
  return {
    error: err instanceof Error ? err.constructor.name : typeof err,
    code: err instanceof SnapferryError ? err.code : undefined,
    message: err instanceof Error ? err.message : String(err),
    hint: err instanceof SnapferryError ? err.hint : undefined,
  };
}

async function runStep(name: string): Promise<void> {
  const step = steps[name];
  const secret = process.env[SECRET_VARIABLE];
  if (!step || !secret) throw new Error(`unknown step ${name} or no secret`);
  process.stdout.write(`RESULT ${name} ${JSON.stringify(await step(secret))}\n`);
}

// ---- the test: starts the children in a private session and checks what they saw ------------

interface Session {
  home: string;
  env: NodeJS.ProcessEnv;
}

function newSession(root: string, name: string, secret: string): Session {
  const home = path.join(root, name);
  const env = { ...isolatedEnv(home), [SECRET_VARIABLE]: secret };
  return { home, env };
}

/** Runs `node SELF STEP` for each step inside one D-Bus session, after `setup` (a shell line). */
function inSession(session: Session, setup: string, stepNames: string[]): Record<string, Observations> {
  const nodeSteps = stepNames.map((s) => `${STEP_VARIABLE}=${s} "$0" "$1"`).join(" && ");
  const script = `${setup}${nodeSteps}`;
  const r = spawnSync("dbus-run-session", ["--", "sh", "-c", script, process.execPath, SELF], {
    env: session.env,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(
    r.status,
    0,
    `the keychain session failed (${r.error?.message ?? r.signal ?? r.status}):\n${r.stdout}\n${r.stderr}`,
  );
  return parseResults(r.stdout);
}

function parseResults(stdout: string): Record<string, Observations> {
  const results: Record<string, Observations> = {};
  for (const line of stdout.split("\n")) {
    const match = /^RESULT (\S+) (.*)$/.exec(line);
    if (match?.[1] && match[2]) results[match[1]] = JSON.parse(match[2]) as Observations;
  }
  return results;
}

const UNLOCK = "printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ";

/** Every file under `dir`, read whole: small here, a keyring and a JSON file. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    const stat = statSync(p);
    return stat.isDirectory() ? filesUnder(p) : stat.isFile() ? [p] : [];
  });
}

function assertSecretNowhere(dir: string, secret: string): void {
  const forms = [
    Buffer.from(secret),
    Buffer.from(secret, "utf16le"),
    Buffer.from(Buffer.from(secret).toString("base64")),
  ];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const form of forms) assert.equal(bytes.indexOf(form), -1, `the secret appears in ${file}`);
  }
}

function assertUnavailable(outcome: unknown, secret: string): void {
  const o = outcome as Observations;
  assert.equal(o.error, "CredentialStoreUnavailableError", JSON.stringify(o));
  assert.match(String(o.message), /^the OS keychain is not available: /);
  assert.match(String(o.hint), /Secret Service/);
  assert.ok(!JSON.stringify(o).includes(secret), "the secret appears in an error");
}

if (process.env[STEP_VARIABLE]) {
  await runStep(process.env[STEP_VARIABLE]);
} else {
  describe("OS keychain (real Secret Service: gnome-keyring in a private D-Bus session)", () => {
    const tmp = makeTempDir("keychain");
    after(() => tmp.cleanup());
    // Random, so a match in a file can only be a leak from this run; unicode, to test the encoding.
    const secret = `pw-${randomBytes(12).toString("hex")}-ünï`;

    it("stores, reads back after a daemon restart, and deletes; the secret is never in a file of ours", () => {
      requireTool("dbus-run-session", "dbus-daemon");
      requireTool("gnome-keyring-daemon", "gnome-keyring");
      const session = newSession(tmp.dir, "desktop", secret);

      const stored = inSession(session, UNLOCK, ["store"]).store;
      assert.equal(stored?.emptyBefore, true);
      const config = path.join(session.home, ".config", "snapferry");
      assert.equal(stored?.configDir, config, "the default Linux configuration folder");
      assert.ok(readdirSync(config).includes("known-servers.json"));
      // gnome-keyring encrypts its file with the login password: the secret is nowhere in the clear.
      assertSecretNowhere(session.home, secret);

      // A new session is a new daemon: what comes back was really stored, not held in memory.
      const read = inSession(session, UNLOCK, ["read-delete"])["read-delete"];
      assert.deepEqual(read, {
        sameSecret: true,
        resolvedFrom: "keychain",
        resolvedSame: true,
        otherAccount: true,
        otherServer: true,
        deleted: true,
        deletedAgain: false,
        goneAfter: true,
        thumbprint: THUMBPRINT,
      });
      assertSecretNowhere(session.home, secret);
    });

    it("without any session bus, every call fails with a clear error and nothing is stored", () => {
      const session = newSession(tmp.dir, "headless", secret);
      session.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path.join(session.home, "no-such-bus")}`;
      session.env[STEP_VARIABLE] = "unavailable";
      const r = spawnSync(process.execPath, [SELF], { env: session.env, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const seen = parseResults(r.stdout).unavailable;
      for (const op of ["get", "set", "delete"]) assertUnavailable(seen?.[op], secret);
      const resolve = seen?.resolve as Observations | undefined;
      assert.equal(resolve?.code, "usage");
      assert.match(
        String(resolve?.hint),
        /SNAPFERRY_VSPHERE_PASSWORD.*OS keychain, which cannot be used here.*terminal/,
      );
      assertSecretNowhere(session.home, secret);
    });

    it("with a Secret Service but no unlocked keyring, storing fails clearly instead of hanging", () => {
      requireTool("dbus-run-session", "dbus-daemon");
      requireTool("gnome-keyring-daemon", "gnome-keyring");
      const session = newSession(tmp.dir, "locked", secret);
      const setup = "gnome-keyring-daemon --components=secrets </dev/null >/dev/null && ";
      const seen = inSession(session, setup, ["unavailable"]).unavailable;
      assertUnavailable(seen?.set, secret);
      assertSecretNowhere(session.home, secret);
    });
  });
}
