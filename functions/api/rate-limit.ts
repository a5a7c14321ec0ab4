/**
 * Per-user throttling inside the function (API Gateway's stage throttling protects the whole API; this
 * keeps one user from taking all of it): a token bucket per user, `perSecond` refill, `burst` capacity.
 * In Lambda each warm instance keeps its own buckets, so the effective limit is per instance.
 */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateLimiter {
  /** 0 when the request may go ahead, else the milliseconds until it could. */
  take(key: string): number;
}

export function createRateLimiter(limit: RateLimit, nowMs: () => number, maxKeys = 10_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const now = nowMs();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
        bucket = { tokens: limit.burst, at: now };
        buckets.set(key, bucket);
      }
      // A clock that stands still or jumps (virtual time) never gives a negative refill.
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * limit.perSecond);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) / limit.perSecond) * 1000);
    },
  };
}
