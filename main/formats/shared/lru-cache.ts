/**
 * A small least-recently-used cache of loaded table pieces (BAT pages, sector bitmaps), so a huge
 * image's tables are read in bounded pieces and never held whole. It stores promises so that
 * concurrent readers of one piece share a single load; a failed load is forgotten.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, Promise<V>>();

  constructor(private readonly capacity: number) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached) {
      // Re-inserting moves the key to the end: Map keeps insertion order, so the first is oldest.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const loading = load();
    this.entries.set(key, loading);
    loading.catch(() => {
      if (this.entries.get(key) === loading) this.entries.delete(key);
    });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return loading;
  }
}
