/**
 * A least-recently-used map bounded by entry count and by a total weight (bytes, paths), for the
 * per-isolate caches of the repository reader. Workers isolates live for many requests but have
 * 128 MB: an unbounded cache of repository content would end the isolate, not speed it up.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, { value: V; weight: number }>();
  readonly #maxEntries: number;
  readonly #maxWeight: number;
  readonly #weigh: (value: V) => number;
  #weight = 0;

  constructor(options: { maxEntries: number; maxWeight: number; weigh: (value: V) => number }) {
    this.#maxEntries = options.maxEntries;
    this.#maxWeight = options.maxWeight;
    this.#weigh = options.weigh;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V): void {
    const weight = this.#weigh(value);
    this.delete(key);
    // Something heavier than the whole cache is not kept at all rather than emptying it.
    if (weight > this.#maxWeight) return;
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#weight <= this.#maxWeight) break;
      this.#entries.delete(oldest);
      this.#weight -= entry.weight;
    }
  }

  /** Weight changed in place (a tree index that learned more paths): account for it. */
  reweigh(key: string): void {
    const hit = this.#entries.get(key);
    if (hit !== undefined) this.set(key, hit.value);
  }

  delete(key: string): void {
    const hit = this.#entries.get(key);
    if (hit === undefined) return;
    this.#entries.delete(key);
    this.#weight -= hit.weight;
  }
}
