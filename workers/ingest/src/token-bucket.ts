/** A token bucket's persisted state. */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export interface BucketRule {
  /** Burst size. */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export interface Take {
  state: BucketState;
  granted: number;
  /** Seconds until one more token is available; 0 when everything asked for was granted. */
  retryAfterSeconds: number;
}

/**
 * Takes up to `want` tokens. Partial grants are allowed: a batch of 50 events from an install
 * with 10 tokens left gets 10 through rather than none.
 */
export function takeTokens(
  previous: BucketState | null,
  rule: BucketRule,
  want: number,
  now: number,
): Take {
  const elapsed = previous === null ? 0 : Math.max(0, now - previous.updatedAt) / 1000;
  const available =
    previous === null
      ? rule.capacity
      : Math.min(rule.capacity, previous.tokens + elapsed * rule.refillPerSecond);
  const granted = Math.max(0, Math.min(want, Math.floor(available)));
  const tokens = available - granted;
  const retryAfterSeconds =
    granted >= want ? 0 : Math.max(1, Math.ceil((1 - (tokens % 1)) / rule.refillPerSecond));
  return { state: { tokens, updatedAt: now }, granted, retryAfterSeconds };
}

/** A per-minute limit as a bucket: the whole minute may arrive as one burst. */
export function perMinute(limit: number): BucketRule {
  return { capacity: limit, refillPerSecond: limit / 60 };
}
