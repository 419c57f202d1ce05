/**
 * Grandfather-father-son retention, as restic's `forget` does it: keep the newest N restore
 * points, then the newest of each of the last N days, weeks, months and years that have one.
 * Policies apply per source (per VM or image), never across sources. Days are local days.
 */
import { sourceKey, type RestorePoint } from "./restore-point.js";

export interface RetentionPolicy {
  last: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
}

export interface RetentionDecision {
  id: string;
  time: string;
  source: string;
  keep: boolean;
  reasons: string[];
}

function isoWeek(d: Date): string {
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const weekday = (day.getDay() + 6) % 7;
  day.setDate(day.getDate() - weekday + 3);
  const firstThursday = new Date(day.getFullYear(), 0, 4);
  const week =
    1 +
    Math.round(
      ((day.getTime() - firstThursday.getTime()) / 86400000 - 3 + ((firstThursday.getDay() + 6) % 7)) / 7,
    );
  return `${day.getFullYear()}-W${String(week).padStart(2, "0")}`;
}

const BUCKETS: { name: keyof RetentionPolicy; label: string; of: (d: Date) => string }[] = [
  { name: "daily", label: "daily", of: (d) => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}` },
  { name: "weekly", label: "weekly", of: isoWeek },
  { name: "monthly", label: "monthly", of: (d) => `${d.getFullYear()}-${d.getMonth() + 1}` },
  { name: "yearly", label: "yearly", of: (d) => `${d.getFullYear()}` },
];

export function applyRetention(
  points: readonly RestorePoint[],
  policy: RetentionPolicy,
): RetentionDecision[] {
  const groups = new Map<string, RestorePoint[]>();
  for (const p of points) {
    const key = sourceKey(p.source);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const decisions: RetentionDecision[] = [];
  for (const group of groups.values()) {
    const newestFirst = [...group].sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
    const seen = BUCKETS.map(() => new Set<string>());
    newestFirst.forEach((p, i) => {
      const reasons: string[] = [];
      if (i < policy.last) reasons.push("last");
      const when = new Date(p.time);
      for (const [b, bucket] of BUCKETS.entries()) {
        const used = seen[b] ?? new Set<string>();
        const key = bucket.of(when);
        if (used.size < policy[bucket.name] && !used.has(key)) {
          used.add(key);
          reasons.push(bucket.label);
        }
      }
      decisions.push({
        id: p.id,
        time: p.time,
        source: p.source.location,
        keep: reasons.length > 0,
        reasons,
      });
    });
  }
  return decisions;
}
