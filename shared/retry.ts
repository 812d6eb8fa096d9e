// Retry with exponential backoff and jitter for retriable failures (store, registry, bus down):
// callers wait instead of dropping data; non-retriable errors are thrown at once.

import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** First wait (ms, default 200); doubles up to maxDelayMs. */
  initialDelayMs?: number;
  /** Longest wait between attempts (ms, default 30 s). */
  maxDelayMs?: number;
  /** Stop retrying (and rethrow the last error) once this returns false. */
  keepGoing?: () => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  let delay = opts.initialDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriable(err) || (opts.keepGoing !== undefined && !opts.keepGoing())) throw err;
      const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
      opts.onRetry?.(err, attempt, wait);
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(max, delay * 2);
    }
  }
}
