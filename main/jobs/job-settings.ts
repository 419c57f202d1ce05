/**
 * A job's definition: which machines, into which repository, how (incremental with a periodic
 * active full), when (a schedule and an optional backup window), what to keep (retention), and
 * where to copy (3-2-1). Stored in the catalog as the job's settings, exported and imported as
 * JSON; validated the same way on every path in, and never holding a secret.
 */
import * as v from "valibot";
import { SnapferryError } from "../common/errors.js";
import { validateSchedule, type Schedule } from "./schedule.js";

const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,128}$/));
const text = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));
const time = v.pipe(v.string(), v.regex(/^([01]?\d|2[0-3]):[0-5]\d$/, "a time of day as HH:MM"));
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const weekday = v.picklist([0, 1, 2, 3, 4, 5, 6] as const);

const scheduleSchema = v.variant("kind", [
  v.object({ kind: v.literal("daily"), time }),
  v.object({ kind: v.literal("weekdays"), time }),
  v.object({ kind: v.literal("weekly"), days: v.pipe(v.array(weekday), v.minLength(1)), time }),
  v.object({ kind: v.literal("monthly"), day: v.pipe(count(31), v.minValue(1)), time }),
  v.object({ kind: v.literal("cron"), expression: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) }),
]);

export const retentionSchema = v.object({
  last: count(1000),
  daily: count(1000),
  weekly: count(1000),
  monthly: count(1000),
  yearly: count(100),
});

export const jobSettingsSchema = v.object({
  version: v.literal(1),
  sourceId: id,
  /**
   * The whole source (an image, a VM folder), chosen VMs by inventory path, or every VM in a
   * folder or with a tag (read at each run, so new VMs are included).
   */
  selection: v.variant("kind", [
    v.object({ kind: v.literal("source") }),
    v.object({ kind: v.literal("vms"), vms: v.pipe(v.array(text), v.minLength(1)) }),
    v.object({ kind: v.literal("folder"), folder: text }),
    v.object({ kind: v.literal("tag"), tag: v.pipe(text, v.maxLength(256)) }),
  ]),
  repositoryId: id,
  /** Incremental by default; an active full (everything read again) every N weeks or on a weekday. */
  activeFull: v.optional(
    v.variant("kind", [
      v.object({ kind: v.literal("every-weeks"), weeks: v.pipe(count(52), v.minValue(1)) }),
      v.object({ kind: v.literal("weekday"), day: weekday }),
    ]),
  ),
  schedule: v.nullable(scheduleSchema),
  /** IANA time zone of the schedule and window; the machine's own when absent. */
  timeZone: v.optional(v.pipe(v.string(), v.maxLength(64))),
  /** A run still going at this local time finishes its current VM and stops. */
  window: v.optional(v.object({ end: time })),
  retention: v.optional(retentionSchema),
  copies: v.array(v.object({ repositoryId: id, retention: v.optional(retentionSchema) })),
  concurrency: v.pipe(count(4), v.minValue(1)),
  retries: v.object({ attempts: count(10), backoffSeconds: v.pipe(count(3600), v.minValue(1)) }),
  allowCrashConsistent: v.boolean(),
});

export type JobSettings = v.InferOutput<typeof jobSettingsSchema>;
export type RetentionSettings = v.InferOutput<typeof retentionSchema>;

/** A job as exported: its name and settings; ids of sources and repositories are this machine's. */
export interface JobExport {
  format: "snapferry-job";
  name: string;
  settings: JobSettings;
}

export function parseJobSettings(value: unknown, what: string): JobSettings {
  const parsed = v.safeParse(jobSettingsSchema, value);
  if (!parsed.success) {
    const fields = parsed.issues.slice(0, 4).map((i) => `${v.getDotPath(i) ?? "settings"}: ${i.message}`);
    throw new SnapferryError("config", `${what} is not a valid job: ${fields.join("; ")}`);
  }
  const settings = parsed.output;
  if (settings.schedule) validateSchedule(settings.schedule as Schedule, settings.timeZone);
  if (settings.copies.some((c) => c.repositoryId === settings.repositoryId)) {
    throw new SnapferryError(
      "config",
      `${what} copies into its own repository`,
      "Choose a second repository.",
    );
  }
  return settings;
}

export function parseJobExport(json: string, what: string): JobExport {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new SnapferryError("config", `${what} is not JSON`);
  }
  const shape = v.safeParse(
    v.object({ format: v.literal("snapferry-job"), name: text, settings: v.unknown() }),
    value,
  );
  if (!shape.success) throw new SnapferryError("config", `${what} is not an exported Snapferry job`);
  return {
    format: "snapferry-job",
    name: shape.output.name,
    settings: parseJobSettings(shape.output.settings, what),
  };
}
