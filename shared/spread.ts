/**
 * Spreading work that would otherwise fall due in one second: a whole region's renewals, planned starts
 * and reminders. Each piece of work gets an offset of its own within a window, from a hash of its
 * identity, so the same work always gets the same offset (a retry, a recomputed schedule) and a large
 * number of pieces lands evenly over the window (README, "The national scale").
 */

/** Whole seconds in [0, windowMs), spread evenly over the window by FNV-1a of `identity`. */
export function spreadOffsetMs(identity: string, windowMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < identity.length; i++) {
    hash ^= identity.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // A final avalanche, so that identities differing only in their last characters land far apart.
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash = (hash ^ (hash >>> 16)) >>> 0;
  return (hash % Math.max(1, Math.floor(windowMs / 1000))) * 1000;
}
