/**
 * A job run told as an email: a subject that says at a glance whether anything needs attention,
 * and a plain-text and an HTML body that list each VM's result, the data it moved, how long it
 * took, what it warned about, what happened after the backups (retention, copies) and how much
 * room is left in the repository. Pure functions: the mailer sends what they return.
 *
 * Every name and message in a report comes from outside (VM names, server errors), so the HTML
 * escapes all of it and the subject drops control characters.
 */
import type { JobResult, VmResult } from "../jobs/job-runner.js";
import { elapsed, escapeHtml, formatBytes, formatDay, formatDuration, formatTime } from "./report-format.js";

export interface RepositorySpace {
  usedBytes: number;
  freeBytes: number;
}

/** One finished run of a job, with the repository's space measured after it. */
export interface JobRunReport {
  jobName: string;
  result: JobResult;
  repositorySpace?: RepositorySpace;
}

export interface EmailReport {
  subject: string;
  text: string;
  html: string;
}

export interface ReportOptions {
  /** IANA time zone the times are written in; the machine's own when absent. */
  timeZone?: string;
}

/** The message for one run ("per-run" mode). */
export function runReport(run: JobRunReport, options: ReportOptions = {}): EmailReport {
  return {
    subject: `[Snapferry] ${oneLine(run.jobName)}: ${runOutcome(run.result)}`,
    text: [...runText(run, options), "", FOOTER].join("\n"),
    html: page(runHtml(run, options, "h1")),
  };
}

/** One message for several runs, the day's digest ("daily-digest" mode). Runs are listed oldest first. */
export function digestReport(runs: JobRunReport[], options: ReportOptions = {}): EmailReport {
  const sorted = [...runs].sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt));
  const first = sorted[0];
  const day = first ? formatDay(first.result.startedAt, options.timeZone) : "";
  const summary = digestSummary(sorted);
  const text = [`Snapferry daily digest for ${day}: ${summary}`, ""];
  for (const run of sorted) text.push("=".repeat(60), ...runText(run, options), "");
  text.push(FOOTER);
  const html = [
    `<h1>Snapferry daily digest for ${escapeHtml(day)}</h1>`,
    `<p>${escapeHtml(summary)}</p>`,
    ...sorted.map((run) => `<hr>${runHtml(run, options, "h2")}`),
  ].join("\n");
  return { subject: `[Snapferry] daily digest ${day}: ${summary}`, text: text.join("\n"), html: page(html) };
}

const FOOTER = "-- \nSent by Snapferry after a backup job run.";

/** "success (3 VMs, 1.2 GiB moved)", "FAILED (1 of 3 VMs failed, 1.2 GiB moved)". */
export function runOutcome(result: JobResult): string {
  const moved = `${formatBytes(totalRead(result))} moved`;
  const vms = plural(result.vms.length, "VM");
  switch (result.state) {
    case "success":
      return `success (${vms}, ${moved})`;
    case "warning": {
      const warned = result.vms.filter((r) => r.state === "warning" || r.state === "skipped").length;
      const detail = warned > 0 ? `${warned} of ${vms} need attention` : "a follow-up step failed";
      return `warning (${detail}, ${moved})`;
    }
    case "failed": {
      const failed = result.vms.filter((r) => r.state === "failed").length;
      const detail = failed > 0 ? `${failed} of ${vms} failed` : `no VM was backed up`;
      return `FAILED (${detail}, ${moved})`;
    }
  }
}

function digestSummary(runs: JobRunReport[]): string {
  const failed = runs.filter((r) => r.result.state === "failed").length;
  const warned = runs.filter((r) => r.result.state === "warning").length;
  const moved = formatBytes(runs.reduce((sum, r) => sum + totalRead(r.result), 0));
  const parts = [plural(runs.length, "run")];
  if (failed > 0) parts.push(`${failed} FAILED`);
  if (warned > 0) parts.push(`${warned} with warnings`);
  if (failed === 0 && warned === 0) parts.push("all succeeded");
  return `${parts.join(", ")} (${moved} moved)`;
}

function runText(run: JobRunReport, options: ReportOptions): string[] {
  const { result } = run;
  const lines = [`Job "${oneLine(run.jobName)}": ${runOutcome(result)}`, timesLine(result, options)];
  lines.push(
    `${vmCounts(result)}. Read ${formatBytes(totalRead(result))}, stored ${formatBytes(totalStored(result))}.`,
  );
  if (result.stoppedByWindow) lines.push(WINDOW_NOTE);
  lines.push("", "Virtual machines");
  for (const vm of result.vms) {
    lines.push(`- ${vmLine(vm)}`, ...vm.messages.map((m) => `    ${m}`));
  }
  if (result.followUps.length > 0) {
    lines.push("", "After the backups");
    for (const f of result.followUps) lines.push(`- ${f.step}: ${f.ok ? "done" : "FAILED"}, ${f.message}`);
  }
  if (run.repositorySpace) lines.push("", "Repository space", spaceLine(run.repositorySpace));
  return lines;
}

function runHtml(run: JobRunReport, options: ReportOptions, heading: "h1" | "h2"): string {
  const { result } = run;
  const sub = heading === "h1" ? "h2" : "h3";
  const parts = [
    `<${heading}>Job &ldquo;${escapeHtml(run.jobName)}&rdquo;: ${stateBadge(result.state)}</${heading}>`,
    `<p>${escapeHtml(timesLine(result, options))}<br>${escapeHtml(vmCounts(result))}. Read ${formatBytes(totalRead(result))}, stored ${formatBytes(totalStored(result))}.</p>`,
  ];
  if (result.stoppedByWindow) parts.push(`<p>${escapeHtml(WINDOW_NOTE)}</p>`);
  parts.push(`<${sub}>Virtual machines</${sub}>`, vmTable(result.vms));
  if (result.followUps.length > 0) {
    const items = result.followUps.map(
      (f) =>
        `<li>${escapeHtml(f.step)}: ${f.ok ? "done" : stateBadge("failed")}, ${escapeHtml(f.message)}</li>`,
    );
    parts.push(`<${sub}>After the backups</${sub}>`, `<ul>${items.join("")}</ul>`);
  }
  if (run.repositorySpace) {
    parts.push(`<${sub}>Repository space</${sub}>`, `<p>${escapeHtml(spaceLine(run.repositorySpace))}</p>`);
  }
  return parts.join("\n");
}

function vmTable(vms: VmResult[]): string {
  const head =
    "<tr><th align=left>VM</th><th align=left>Result</th><th align=right>Read</th><th align=right>Stored</th><th align=right>Duration</th><th align=left>Notes</th></tr>";
  const rows = vms.map((vm) => {
    const notes = vm.messages.map((m) => escapeHtml(m)).join("<br>");
    return `<tr><td>${escapeHtml(vm.vm.name)}</td><td>${stateBadge(vm.state)}${vm.kind ? ` (${vm.kind})` : ""}</td><td align=right>${formatBytes(vm.bytesRead)}</td><td align=right>${formatBytes(vm.bytesStored)}</td><td align=right>${vmDuration(vm)}</td><td>${notes}</td></tr>`;
  });
  return `<table cellpadding=4 cellspacing=0 border=1>${head}${rows.join("")}</table>`;
}

const STATE_COLOURS: Record<VmResult["state"], string> = {
  success: "#1a7f37",
  warning: "#9a6700",
  failed: "#cf222e",
  skipped: "#6e7781",
};

function stateBadge(state: VmResult["state"]): string {
  const label = state === "failed" ? "FAILED" : state;
  return `<b style="color:${STATE_COLOURS[state]}">${label}</b>`;
}

const WINDOW_NOTE = "The backup window ended: the VMs not started are left for the next run.";

function vmLine(vm: VmResult): string {
  const state = vm.state === "failed" ? "FAILED" : vm.state;
  const kind = vm.kind ? ` (${vm.kind})` : "";
  const attempts = vm.attempts > 1 ? ` after ${vm.attempts} attempts` : "";
  return `${oneLine(vm.vm.name)}: ${state}${kind}${attempts}, read ${formatBytes(vm.bytesRead)}, stored ${formatBytes(vm.bytesStored)}, ${vmDuration(vm)}`;
}

function vmDuration(vm: VmResult): string {
  const ms = elapsed(vm.startedAt, vm.finishedAt);
  return ms === null ? "not started" : formatDuration(ms);
}

function timesLine(result: JobResult, options: ReportOptions): string {
  const ms = elapsed(result.startedAt, result.finishedAt);
  const took = ms === null ? "" : ` (${formatDuration(ms)})`;
  return `Started ${formatTime(result.startedAt, options.timeZone)}, finished ${formatTime(result.finishedAt, options.timeZone)}${took}.`;
}

function vmCounts(result: JobResult): string {
  const counts = new Map<string, number>();
  for (const vm of result.vms) counts.set(vm.state, (counts.get(vm.state) ?? 0) + 1);
  const parts = ["success", "warning", "failed", "skipped"].flatMap((s) => {
    const n = counts.get(s);
    return n ? [`${n} ${s === "failed" ? "FAILED" : s}`] : [];
  });
  return `${plural(result.vms.length, "VM")}: ${parts.join(", ")}`;
}

function spaceLine(space: RepositorySpace): string {
  const total = space.usedBytes + space.freeBytes;
  const freePercent = total > 0 ? Math.floor((space.freeBytes / total) * 100) : 0;
  return `${formatBytes(space.usedBytes)} used, ${formatBytes(space.freeBytes)} free (${freePercent}% of the disk free)`;
}

function totalRead(result: JobResult): number {
  return result.vms.reduce((sum, vm) => sum + vm.bytesRead, 0);
}

function totalStored(result: JobResult): number {
  return result.vms.reduce((sum, vm) => sum + vm.bytesStored, 0);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A name on one line: a subject or a list item must not be split (or forged) by a newline. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

function page(body: string): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">\n${body}\n<p style="color:#6e7781">Sent by Snapferry after a backup job run.</p>\n</body></html>`;
}
