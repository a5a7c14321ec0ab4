/**
 * How old a pending notification must be for the outbox re-drive to deliver it: younger ones are the
 * stream's, which delivers them within seconds. A module of its own, free of side effects, so that the
 * local stack can read it without loading the dispatcher before its environment is set.
 */
export const REDRIVE_MIN_AGE_MS = 10 * 60_000;
