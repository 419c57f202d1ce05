/**
 * Reads electronegativity's findings as its runner returns them (`run(options)` without the CLI).
 * Its CSV report cannot be trusted: the tool writes the header and the rows with two concurrent
 * asynchronous writes, the first of which truncates the file, so a report can come out cut or
 * with its rows lost (seen in CI: "the report ends inside a quoted field"). Its SARIF output
 * folds HIGH and MEDIUM into one level. The runner's own objects name each finding's severity.
 */
export type Severity = "INFORMATIONAL" | "LOW" | "MEDIUM" | "HIGH" | "UNKNOWN";

export interface Finding {
  issue: string;
  severity: Severity;
  confidence: string;
  file: string;
  location: string;
  sample: string;
  description: string;
}

/** A finding as electronegativity's runner returns it (the fields this scan reads). */
export interface RunnerIssue {
  id?: unknown;
  severity?: { name?: unknown };
  confidence?: { name?: unknown };
  file?: unknown;
  location?: { line?: unknown; column?: unknown };
  sample?: unknown;
  description?: unknown;
}

export interface RunnerResult {
  issues?: unknown;
  errors?: unknown;
}

const SEVERITIES: readonly Severity[] = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH"];

const text = (v: unknown, fallback = "N/A"): string =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : fallback;

export function findingsFrom(result: RunnerResult): Finding[] {
  if (!Array.isArray(result.issues)) {
    throw new Error("electronegativity returned no list of issues: did its runner change?");
  }
  return (result.issues as RunnerIssue[]).map((i) => {
    const severity = text(i.severity?.name, "").toUpperCase();
    return {
      issue: text(i.id, "UNKNOWN_CHECK"),
      severity: SEVERITIES.find((s) => s === severity) ?? "UNKNOWN",
      confidence: text(i.confidence?.name),
      file: text(i.file),
      location: `${text(i.location?.line, "?")}:${text(i.location?.column, "?")}`,
      sample: text(i.sample),
      description: text(i.description, ""),
    };
  });
}

/** Files the tool could not parse (its "tolerable" warnings included): each fails the scan. */
export function parseErrors(result: RunnerResult): string[] {
  if (!Array.isArray(result.errors)) return [];
  return (result.errors as { file?: unknown; message?: unknown }[]).map(
    (e) => `${text(e.file)}: ${text(e.message, "could not be parsed")}`,
  );
}

/** What fails the scan: every HIGH finding, and anything whose severity cannot be read. */
export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === "HIGH" || f.severity === "UNKNOWN");
}

export function describeFinding(f: Finding): string {
  return `${f.severity} ${f.issue} (${f.confidence}) at ${f.file}:${f.location}: ${f.description}${f.sample !== "N/A" ? ` [${f.sample}]` : ""}`;
}
