/** The benchmark's tables, in Markdown with aligned columns (numbers right-aligned), and their verdicts. */

/** `numeric(i)`: whether column i holds numbers, which are right-aligned. */
export function markdownTable(header: string[], body: string[][], numeric: (i: number) => boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (numeric(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (numeric(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...body.map(line)].join("\n");
}

/** The notes cell of a per-format row: measurements others disturbed, and the failure if any. */
export function formatNotes(othersCpu: number[], failed: string | undefined): string {
  const busy = othersCpu.length
    ? [
        `others busy in ${othersCpu.length} measurement${othersCpu.length === 1 ? "" : "s"} (up to ${Math.max(...othersCpu).toFixed(1)} CPU s)`,
      ]
    : [];
  return [...busy, ...(failed ? [failed] : [])].join("; ");
}

/** "PASS  CLAIM: 1.05x" when Snapferry is at least as fast (`ratio`: peer time / Snapferry time). */
export function parityLine(ratio: number | undefined, claim: string, extra = ""): string {
  const verdict = ratio === undefined ? "UNKNOWN" : ratio >= 1 ? "PASS" : "FAIL";
  return `${verdict}  ${claim}: ${ratio === undefined ? "not measured" : `${ratio.toFixed(2)}x`}${extra}`;
}
