import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import {
  CredentialStoreUnavailableError,
  MemoryCredentialStore,
  resolveVspherePassword,
  vsphereCredentialService,
  type CredentialStore,
  type PasswordPrompt,
} from "../../main/sources/vsphere/credential-store.js";

const SECRET = "s3cret-Pässword!";

/** Records what callers asked for; fails the test if a step that should be skipped is reached. */
class RecordingStore implements CredentialStore {
  readonly asked: [string, string][] = [];
  constructor(private readonly answer: () => Promise<string | undefined>) {}
  async get(service: string, account: string): Promise<string | undefined> {
    this.asked.push([service, account]);
    return this.answer();
  }
  async set(): Promise<void> {
    throw new Error("set must not be called");
  }
  async delete(): Promise<boolean> {
    throw new Error("delete must not be called");
  }
}

const unavailable = (): Promise<never> =>
  Promise.reject(
    new CredentialStoreUnavailableError("the OS keychain is not available: no D-Bus", "Start one."),
  );
const noPrompt: PasswordPrompt = () => Promise.reject(new Error("the prompt must not be called"));

describe("in-memory credential store", () => {
  it("sets, gets and deletes per service and account", async () => {
    const store = new MemoryCredentialStore();
    assert.equal(await store.get("svc", "root"), undefined);
    await store.set("svc", "root", SECRET);
    await store.set("svc", "admin", "other");
    await store.set("svc2", "root", "third");
    assert.equal(await store.get("svc", "root"), SECRET);
    assert.equal(await store.get("svc", "admin"), "other");
    assert.equal(await store.delete("svc", "root"), true);
    assert.equal(await store.delete("svc", "root"), false);
    assert.equal(await store.get("svc", "root"), undefined);
    assert.equal(await store.get("svc2", "root"), "third");
  });

  it("never shows its secrets when inspected or logged", async () => {
    const store = new MemoryCredentialStore();
    await store.set("svc", "root", SECRET);
    assert.ok(!inspect(store, { showHidden: true, depth: 10 }).includes(SECRET));
    assert.ok(!JSON.stringify(store).includes(SECRET));
  });
});

describe("vSphere password resolution", () => {
  it("names the keychain entry by normalised server", () => {
    assert.equal(vsphereCredentialService("ESXi01.Example.com"), "snapferry-vsphere:esxi01.example.com:443");
    assert.equal(vsphereCredentialService("vc:8443"), "snapferry-vsphere:vc:8443");
  });

  it("takes SNAPFERRY_VSPHERE_PASSWORD first, without asking the keychain", async () => {
    const store = new RecordingStore(() => Promise.resolve("from keychain"));
    const r = await resolveVspherePassword({
      server: "esxi01",
      user: "root",
      env: { SNAPFERRY_VSPHERE_PASSWORD: SECRET },
      store,
      prompt: noPrompt,
    });
    assert.deepEqual(r, { password: SECRET, source: "environment" });
    assert.deepEqual(store.asked, []);
  });

  it("then the keychain, under the server's service and the user's name", async () => {
    const store = new RecordingStore(() => Promise.resolve(SECRET));
    const r = await resolveVspherePassword({
      server: "ESXI01",
      user: "root",
      env: { SNAPFERRY_VSPHERE_PASSWORD: "" },
      store,
      prompt: noPrompt,
    });
    assert.deepEqual(r, { password: SECRET, source: "keychain" });
    assert.deepEqual(store.asked, [["snapferry-vsphere:esxi01:443", "root"]]);
  });

  it("then the prompt, saying whose password it asks for", async () => {
    const questions: string[] = [];
    const prompt: PasswordPrompt = (q) => {
      questions.push(q);
      return Promise.resolve(SECRET);
    };
    const store = new MemoryCredentialStore();
    const r = await resolveVspherePassword({ server: "vc.example.com", user: "ada", env: {}, store, prompt });
    assert.deepEqual(r, { password: SECRET, source: "prompt" });
    assert.deepEqual(questions, ["Password for ada on vc.example.com:443: "]);
  });

  it("refuses an empty answer", async () => {
    await assert.rejects(
      resolveVspherePassword({ server: "h", user: "root", env: {}, prompt: () => Promise.resolve("") }),
      /the password is empty/,
    );
  });

  it("asks at the prompt when the keychain cannot be used, and reports why", async () => {
    const r = await resolveVspherePassword({
      server: "h",
      user: "root",
      env: {},
      store: new RecordingStore(unavailable),
      prompt: () => Promise.resolve(SECRET),
    });
    assert.equal(r.password, SECRET);
    assert.equal(r.source, "prompt");
    assert.ok(r.keychainUnavailable instanceof CredentialStoreUnavailableError);
  });

  it("without a prompt, fails with the three ways to give the password", async () => {
    await assert.rejects(
      resolveVspherePassword({
        server: "esxi01:443",
        user: "root",
        env: {},
        store: new MemoryCredentialStore(),
      }),
      (err: unknown) => {
        assert.ok(err instanceof SnapferryError);
        assert.equal(err.code, "usage");
        assert.equal(err.message, "no password for root on esxi01:443");
        assert.match(err.hint ?? "", /SNAPFERRY_VSPHERE_PASSWORD/);
        assert.match(
          err.hint ?? "",
          /OS keychain \(service "snapferry-vsphere:esxi01:443", account "root"\)/,
        );
        assert.match(err.hint ?? "", /terminal/);
        return true;
      },
    );
  });

  it("without a prompt or a usable keychain, says the keychain cannot be used", async () => {
    await assert.rejects(
      resolveVspherePassword({
        server: "esxi01",
        user: "root",
        env: {},
        store: new RecordingStore(unavailable),
      }),
      (err: unknown) => {
        assert.ok(err instanceof SnapferryError);
        assert.match(err.hint ?? "", /cannot be used here \(the OS keychain is not available: no D-Bus\)/);
        return true;
      },
    );
  });

  it("lets other keychain failures through: they are bugs, not a reason to ask", async () => {
    const store = new RecordingStore(() => Promise.reject(new TypeError("boom")));
    await assert.rejects(
      resolveVspherePassword({ server: "h", user: "root", env: {}, store, prompt: noPrompt }),
      TypeError,
    );
  });

  it("rejects a malformed server before looking anywhere", async () => {
    const store = new RecordingStore(() => Promise.resolve(SECRET));
    await assert.rejects(
      resolveVspherePassword({ server: "https://h/", user: "root", env: {}, store }),
      /is not a server address/,
    );
    assert.deepEqual(store.asked, []);
  });
});
