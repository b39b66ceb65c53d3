// The SDK's retries, kept (same attempts, same errors retried) but without their backoff: a fuzz
// case that throttles a call must not sleep for seconds. Used through jest.mock on the client
// modules the gateway imports, so the product code runs unchanged.

import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

const DEFAULT_ATTEMPTS = 3;

export function quickRetryStrategy(maxAttempts: number): RetryStrategyV2 {
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 1 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: RetryToken, info: RetryErrorInfo) => {
      const next = previous.getRetryCount() + 1;
      if (info.errorType === 'CLIENT_ERROR' || next >= maxAttempts) throw info.error ?? new Error('no more attempts');
      return token(next);
    },
    recordSuccess: () => undefined,
  };
}

type ClientClass = new (config: { maxAttempts?: unknown; retryStrategy?: unknown }) => object;

/** The SDK module with `className` replaced by a subclass that retries at once. */
export function withQuickRetries<M extends object>(sdkModule: M, className: string): M {
  const Base = (sdkModule as unknown as Record<string, ClientClass>)[className];
  if (Base === undefined) throw new Error(`no ${className} in the mocked module`);
  class QuickClient extends Base {
    constructor(config: { maxAttempts?: unknown; retryStrategy?: unknown }) {
      const attempts = typeof config.maxAttempts === 'number' ? config.maxAttempts : DEFAULT_ATTEMPTS;
      super({ ...config, retryStrategy: quickRetryStrategy(attempts) });
    }
  }
  return { ...sdkModule, [className]: QuickClient };
}
