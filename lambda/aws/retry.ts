// Retries: throttling is not failure. A throttled call waits (the pacer has already slowed the
// region down) and tries again for as long as the run's time budget lasts; other retryable
// errors (5xx, timeouts) keep a bounded number of attempts with exponential backoff; client
// errors (403, validation) are not retried. When the budget runs out the call fails, and the
// check it served is reported as failed: the image stays unverified, never safe.

import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

/** Without a run budget (the CLI), a throttled call keeps trying this long before it fails. */
export const DEFAULT_THROTTLE_PATIENCE_MS = 15 * 60_000;
const THROTTLE_DELAY_BASE_MS = 250;
const THROTTLE_DELAY_MAX_MS = 5_000;
const ERROR_DELAY_BASE_MS = 100;
const ERROR_DELAY_MAX_MS = 20_000;

export interface RetryOptions {
  /** attempts per call for errors other than throttling, the first included */
  readonly maxAttempts: number;
  /** milliseconds left in the run's budget; without it, each call has DEFAULT_THROTTLE_PATIENCE_MS */
  readonly remainingMs?: () => number;
  readonly clock?: () => number;
  readonly random?: () => number;
}

interface Attempts extends RetryToken {
  readonly startedAt: number;
  readonly throttled: number;
  readonly failed: number;
}

const token = (startedAt: number, throttled: number, failed: number, delay: number): Attempts => ({
  startedAt,
  throttled,
  failed,
  getRetryCount: () => throttled + failed,
  getRetryDelay: () => delay,
});

export class ThrottlePatientRetryStrategy implements RetryStrategyV2 {
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly options: RetryOptions) {
    this.clock = options.clock ?? (() => Date.now());
    this.random = options.random ?? Math.random;
  }

  acquireInitialRetryToken(): Promise<RetryToken> {
    return Promise.resolve(token(this.clock(), 0, 0, 0));
  }

  refreshRetryTokenForRetry(previous: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const attempts = previous as Attempts;
    if (errorInfo.errorType === 'THROTTLING') {
      const delay = this.jitter(THROTTLE_DELAY_BASE_MS, THROTTLE_DELAY_MAX_MS, attempts.throttled);
      if (this.budgetLeft(attempts) - delay <= 0) return Promise.reject(new Error('throttled until the run budget ran out'));
      return Promise.resolve(token(attempts.startedAt, attempts.throttled + 1, attempts.failed, delay));
    }
    const retryable = errorInfo.errorType === 'TRANSIENT' || errorInfo.errorType === 'SERVER_ERROR';
    if (!retryable || attempts.failed + 1 >= this.options.maxAttempts) return Promise.reject(new Error('not retried'));
    const delay = this.jitter(ERROR_DELAY_BASE_MS, ERROR_DELAY_MAX_MS, attempts.failed);
    if (this.budgetLeft(attempts) - delay <= 0) return Promise.reject(new Error('no run budget left to retry'));
    return Promise.resolve(token(attempts.startedAt, attempts.throttled, attempts.failed + 1, delay));
  }

  recordSuccess(): void {}

  private budgetLeft(attempts: Attempts): number {
    return this.options.remainingMs?.() ?? DEFAULT_THROTTLE_PATIENCE_MS - (this.clock() - attempts.startedAt);
  }

  /** Exponential backoff with full jitter. */
  private jitter(base: number, max: number, retries: number): number {
    return Math.round(this.random() * Math.min(max, base * 2 ** Math.min(retries, 16)));
  }
}
