import { describe, expect, it } from "vitest";
import { newDraft, settingsFromDraft } from "./job-draft";

describe("a job's VM selection", () => {
  const base = { ...newDraft("src-vc", "repo-1"), name: "Production" };

  it("follows a folder or a tag, or takes the picked VMs", () => {
    const folder = settingsFromDraft({ ...base, follow: { kind: "folder", value: " DC1/vm/Prod " } }, true);
    expect(folder.ok && folder.settings.selection).toEqual({ kind: "folder", folder: "DC1/vm/Prod" });
    const tag = settingsFromDraft({ ...base, follow: { kind: "tag", value: "nightly" } }, true);
    expect(tag.ok && tag.settings.selection).toEqual({ kind: "tag", tag: "nightly" });
    const picked = settingsFromDraft({ ...base, vms: ["DC1/vm/web01"] }, true);
    expect(picked.ok && picked.settings.selection).toEqual({ kind: "vms", vms: ["DC1/vm/web01"] });
  });

  it("refuses a folder or tag left empty", () => {
    expect(settingsFromDraft({ ...base, follow: { kind: "tag", value: "  " } }, true).ok).toBe(false);
  });

  it("takes a local source whole", () => {
    const local = settingsFromDraft({ ...base, follow: { kind: "tag", value: "x" } }, false);
    expect(local.ok && local.settings.selection).toEqual({ kind: "source" });
  });
});
