/**
 * A least-recently-used cache of loaded pieces (grain tables, decompressed grains) bounded by a
 * total cost in bytes, so reading a huge disk never holds all of its tables. It stores promises so
 * concurrent readers of one piece share one load; a failed load is forgotten so a retry re-reads.
 */
export class Lru<V> {
  private readonly entries = new Map<string, { value: Promise<V>; cost: number }>();
  private total = 0;

  constructor(private readonly maxCost: number) {}

  get(key: string, cost: number, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting makes the key the most recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = load();
    this.entries.set(key, { value, cost });
    this.total += cost;
    value.catch(() => this.forget(key, value));
    this.evict();
    return value;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  private forget(key: string, value: Promise<V>): void {
    const entry = this.entries.get(key);
    if (entry?.value !== value) return;
    this.entries.delete(key);
    this.total -= entry.cost;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxCost || this.entries.size <= 1) return;
      this.entries.delete(key);
      this.total -= entry.cost;
    }
  }
}
