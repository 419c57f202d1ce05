/**
 * How the CLI prints: results on stdout, progress on stderr. With --json, every line on stdout is
 * one JSON object, so scripts never parse prose.
 */
import { formatBytes } from "../common/size.js";
import type { ProgressEvent } from "../engines/progress.js";

export interface Output {
  json: boolean;
  line(text: string): void;
  object(value: unknown): void;
  progress(event: ProgressEvent): void;
  endProgress(): void;
}

export function createOutput(json: boolean): Output {
  const tty = process.stderr.isTTY === true;
  let barShown = false;
  return {
    json,
    line: (text) => {
      if (!json) process.stdout.write(text + "\n");
    },
    object: (value) => process.stdout.write(JSON.stringify(value) + "\n"),
    progress: (event) => {
      if (json) {
        process.stdout.write(JSON.stringify({ progress: event }) + "\n");
      } else if (tty) {
        process.stderr.write("\r" + progressBar(event, process.stderr.columns ?? 80) + "\x1b[K");
        barShown = true;
      }
    },
    endProgress: () => {
      if (barShown) process.stderr.write("\n");
      barShown = false;
    },
  };
}

export function progressBar(e: ProgressEvent, columns: number): string {
  const fraction = e.bytesTotal > 0 ? Math.min(1, e.bytesDone / e.bytesTotal) : 1;
  const eta =
    e.etaSeconds === null
      ? "--:--"
      : `${Math.floor(e.etaSeconds / 60)}:${String(e.etaSeconds % 60).padStart(2, "0")}`;
  const text = ` ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(e.bytesDone)}/${formatBytes(e.bytesTotal)} ${formatBytes(e.bytesPerSecond)}/s ETA ${eta}${
    e.operation === "backup" ? ` new ${formatBytes(e.bytesNew)} stored ${formatBytes(e.bytesStored)}` : ""
  }`;
  const width = Math.max(10, Math.min(40, columns - text.length - 3));
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]${text}`;
}
