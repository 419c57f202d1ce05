/**
 * A small least-recently-used cache with a fixed number of entries, so that metadata and
 * decompressed clusters of a large image are kept only as far as a bounded budget allows.
 */
export class LruCache<K, V> {
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest entry first.
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
