// The adaptive pacer and the retry strategy, on a fake clock.

import { AdaptiveBucket, ceilingOf, DEFAULT_TUNING, throttleClassOf } from '../../lambda/aws/pacing';
import { ThrottlePatientRetryStrategy } from '../../lambda/aws/retry';
import type { RetryErrorType } from '@smithy/types';

describe('AdaptiveBucket', () => {
  const ceiling = { capacity: 10, refillPerSecond: 10 };
  let now = 0;
  const bucket = (): AdaptiveBucket => new AdaptiveBucket(ceiling, DEFAULT_TUNING, () => now, async (ms) => void (now += ms));
  beforeEach(() => (now = 0));

  it('starts at its ceiling and never exceeds it', () => {
    const b = bucket();
    for (let i = 0; i < 100; i += 1) b.succeeded();
    expect(b.ratePerSecond).toBe(10);
  });

  it('halves at once on a throttle, once for the calls already in flight', async () => {
    const b = bucket();
    const sentAt = await b.take();
    const alsoInFlight = await b.take();
    now += 10;
    b.throttled(sentAt);
    b.throttled(alsoInFlight);
    expect(b.ratePerSecond).toBe(5);
    const soonAfter = await b.take();
    b.throttled(soonAfter);
    expect(b.ratePerSecond).toBe(5);
    now += DEFAULT_TUNING.cutGraceSeconds * 1000;
    const later = await b.take();
    b.throttled(later);
    expect(b.ratePerSecond).toBe(2.5);
  });

  it('never drops below its floor', async () => {
    const b = bucket();
    for (let i = 0; i < 20; i += 1) {
      now += DEFAULT_TUNING.cutGraceSeconds * 1000;
      b.throttled(await b.take());
    }
    expect(b.ratePerSecond).toBe(DEFAULT_TUNING.floorPerSecond);
  });

  it('climbs back gradually on successes, faster the longer nothing is throttled', async () => {
    const b = bucket();
    b.throttled(await b.take());
    const climb = async (seconds: number): Promise<number> => {
      const from = b.ratePerSecond;
      const end = now + seconds * 1000;
      while (now < end) {
        await b.take();
        b.succeeded();
      }
      return b.ratePerSecond - from;
    };
    const first = await climb(10);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(1);
    const later = await climb(10);
    expect(later).toBeGreaterThan(first);
  });

  it('paces calls at its rate after the burst', async () => {
    const b = bucket();
    for (let i = 0; i < 10; i += 1) await b.take();
    expect(now).toBe(0);
    for (let i = 0; i < 20; i += 1) await b.take();
    expect(now).toBeGreaterThanOrEqual(1_900);
    expect(now).toBeLessThanOrEqual(2_100);
  });
});

describe('the share of a bucket', () => {
  it('scales burst and refill, with a margin under EC2 even at share 1', () => {
    expect(ceilingOf('describe', 1)).toEqual({ capacity: 95, refillPerSecond: 19.8 });
    expect(ceilingOf('describe', 0.5)).toEqual({ capacity: 47, refillPerSecond: 9.9 });
    expect(ceilingOf('imageMutation', 0.1).capacity).toBe(9);
    expect(throttleClassOf('DescribeImagesCommand')).toBe('describe');
    expect(throttleClassOf('DeregisterImageCommand')).toBe('imageMutation');
  });
});

describe('ThrottlePatientRetryStrategy', () => {
  let now = 0;
  const strategy = (remaining?: () => number) =>
    new ThrottlePatientRetryStrategy({ maxAttempts: 3, clock: () => now, random: () => 1, ...(remaining ? { remainingMs: remaining } : {}) });
  const retry = async (s: ThrottlePatientRetryStrategy, types: RetryErrorType[]): Promise<number> => {
    let token = await s.acquireInitialRetryToken();
    let retries = 0;
    for (const errorType of types) {
      try {
        token = await s.refreshRetryTokenForRetry(token, { errorType });
      } catch {
        return retries;
      }
      now += token.getRetryDelay();
      retries += 1;
    }
    return retries;
  };
  beforeEach(() => (now = 0));

  it('retries throttling for as long as the run has budget, far beyond maxAttempts', async () => {
    const deadline = 120_000;
    const retries = await retry(strategy(() => deadline - now), Array.from({ length: 100 }, () => 'THROTTLING' as const));
    expect(retries).toBeGreaterThan(20);
    expect(now).toBeLessThanOrEqual(deadline);
  });

  it('stops retrying throttling when the budget is spent', async () => {
    expect(await retry(strategy(() => 0), ['THROTTLING'])).toBe(0);
  });

  it('keeps bounded retries for server errors and none for client errors', async () => {
    expect(await retry(strategy(() => 600_000), ['SERVER_ERROR', 'TRANSIENT', 'SERVER_ERROR', 'SERVER_ERROR'])).toBe(2);
    expect(await retry(strategy(() => 600_000), ['CLIENT_ERROR'])).toBe(0);
  });

  it('without a run budget, gives a throttled call a patience of its own', async () => {
    const retries = await retry(strategy(), Array.from({ length: 1000 }, () => 'THROTTLING' as const));
    expect(retries).toBeLessThan(1000);
    expect(now).toBeLessThanOrEqual(15 * 60_000);
  });
});
