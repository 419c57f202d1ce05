/**
 * Reads electronegativity's CSV report. The tool exits 0 whatever it finds, and its SARIF output
 * folds HIGH and MEDIUM into one "warning" level, so the CSV (which names the severity) is what
 * decides whether the scan fails: any HIGH finding does.
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
  url: string;
}

const SEVERITIES: readonly Severity[] = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH"];

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (quoted) throw new Error("the report ends inside a quoted field: it is truncated");
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows.filter((r) => r.some((f) => f.trim() !== ""));
}

const COLUMNS = ["issue", "severity", "confidence", "filename", "location", "sample", "description", "url"];

export function parseReport(csv: string): Finding[] {
  const [header, ...records] = parseCsv(csv);
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  if (COLUMNS.some((c, i) => names[i] !== c)) {
    throw new Error(
      `unexpected report header "${(header ?? []).join(",")}": did electronegativity's format change?`,
    );
  }
  return records.map((r, n) => {
    if (r.length !== COLUMNS.length) {
      throw new Error(
        `report line ${n + 2} has ${r.length} fields, not ${COLUMNS.length}: the report is damaged`,
      );
    }
    const [
      issue = "",
      severity = "",
      confidence = "",
      file = "",
      location = "",
      sample = "",
      description = "",
      url = "",
    ] = r.map((f) => f.trim());
    return {
      issue,
      severity: SEVERITIES.find((s) => s === severity.toUpperCase()) ?? "UNKNOWN",
      confidence,
      file,
      location,
      sample,
      description,
      url,
    };
  });
}

/** What fails the scan: every HIGH finding, and anything whose severity cannot be read. */
export function blockingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === "HIGH" || f.severity === "UNKNOWN");
}

export function describeFinding(f: Finding): string {
  return `${f.severity} ${f.issue} (${f.confidence}) at ${f.file}:${f.location}: ${f.description}${f.sample !== "N/A" ? ` [${f.sample}]` : ""}`;
}
