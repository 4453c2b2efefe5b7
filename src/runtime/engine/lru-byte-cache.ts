// A least-recently-used map bounded by the bytes of its values. Eviction calls `onEvict` so the
// owner can free what the entry stands for (a prefix held by the model worker, for instance).

export class LruByteCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private used = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly onEvict: (key: K, value: V) => void = () => undefined,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get budget(): number {
    return this.budgetBytes;
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Adds an entry, evicting the least recently used ones to make room. Entries larger than the whole budget are not kept. */
  set(key: K, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.budgetBytes) {
      this.onEvict(key, value);
      return false;
    }
    while (this.used + bytes > this.budgetBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
    this.onEvict(key, entry.value);
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }
}
