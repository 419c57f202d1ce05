/**
 * The one least-recently-used cache of loaded pieces (BAT pages, sector bitmaps, L2 and grain
 * tables, decompressed clusters and grains), so a huge image's tables are read in bounded pieces
 * and never held whole. The budget is a total cost: each entry costs 1 unless the caller gives its
 * size in bytes, so the same class bounds either an entry count or a byte total. It stores
 * promises so concurrent readers of one piece share a single load; a failed load is forgotten so a
 * retry reads again.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V>; cost: number }>();
  private total = 0;

  constructor(private readonly maxCost: number) {}

  get(key: K, load: () => Promise<V>, cost = 1): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      // Re-inserting moves the key to the end: Map keeps insertion order, so the first is oldest.
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

  private forget(key: K, value: Promise<V>): void {
    const entry = this.entries.get(key);
    if (entry?.value !== value) return;
    this.entries.delete(key);
    this.total -= entry.cost;
  }

  /** Drops the oldest entries until the budget holds, but always keeps the newest one. */
  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxCost || this.entries.size <= 1) return;
      this.entries.delete(key);
      this.total -= entry.cost;
    }
  }
}
