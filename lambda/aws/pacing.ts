// Client-side pacing: an adaptive token bucket per (region, EC2 throttle class). Its ceiling is
// ami-guard's share of EC2's own bucket; since the ceiling stays under that bucket, a
// RequestLimitExceeded means someone else is spending it too, so the rate drops at once (by half)
// and clean successes bring it back slowly (additive increase): the bucket's spare tokens absorb
// the slow climb, so the scan uses what is left without repeatedly emptying the shared bucket.

import type { FinalizeRequestMiddleware, MetadataBearer, Pluggable } from '@smithy/types';
import { DEFAULT_API_SHARE } from '../contract';

export interface BucketShape {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/**
 * EC2's documented buckets (capacity, refill per second) per account and region.
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 */
export const EC2_BUCKETS = {
  describe: { capacity: 100, refillPerSecond: 20 },
  tags: { capacity: 100, refillPerSecond: 10 },
  imageMutation: { capacity: 100, refillPerSecond: 5 },
  mutating: { capacity: 50, refillPerSecond: 5 },
} as const satisfies Record<string, BucketShape>;

export type ThrottleClass = keyof typeof EC2_BUCKETS;

// Even alone, stay a little under EC2's bucket: clocks and in-flight calls are not exact.
const BURST_MARGIN = 0.95;
const REFILL_MARGIN = 0.99;

/** Our ceiling for one class at a share of EC2's bucket. */
export function ceilingOf(cls: ThrottleClass, apiShare: number): BucketShape {
  const bucket = EC2_BUCKETS[cls];
  return {
    capacity: Math.max(1, Math.floor(bucket.capacity * BURST_MARGIN * apiShare)),
    refillPerSecond: bucket.refillPerSecond * REFILL_MARGIN * apiShare,
  };
}

export function throttleClassOf(commandName: string): ThrottleClass {
  const action = commandName.replace(/Command$/, '');
  if (/^(Describe|Get|List)/.test(action)) return 'describe';
  if (action === 'CreateTags' || action === 'DeleteTags') return 'tags';
  if (/^(DeregisterImage|EnableImageDeregistrationProtection|DisableImageDeregistrationProtection|ModifyImageAttribute|DeleteSnapshot)$/.test(action)) {
    return 'imageMutation';
  }
  return 'mutating';
}

export interface AdaptiveTuning {
  /** the rate is multiplied by this on a throttle */
  readonly decrease: number;
  /** calls a second added to the rate per second of successful calls, right after a throttle */
  readonly increasePerSecond: number;
  /** the increase doubles every this many seconds without a throttle, so a passing storm is soon forgotten */
  readonly increaseDoublingSeconds: number;
  /** the rate never drops below this (calls a second), so a run always progresses */
  readonly floorPerSecond: number;
  /** after a cut, throttles of calls sent within this many seconds do not cut again: the shared bucket needs time to refill */
  readonly cutGraceSeconds: number;
}

export const DEFAULT_TUNING: AdaptiveTuning = { decrease: 0.5, increasePerSecond: 0.02, increaseDoublingSeconds: 300, floorPerSecond: 1, cutGraceSeconds: 2 };

export class AdaptiveBucket {
  private tokens: number;
  private last: number;
  private rate: number;
  private lastCut = Number.NEGATIVE_INFINITY;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ceiling: BucketShape,
    private readonly tuning: AdaptiveTuning = DEFAULT_TUNING,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.tokens = ceiling.capacity;
    this.last = clock();
    this.rate = ceiling.refillPerSecond;
  }

  /** calls a second this bucket currently allows */
  get ratePerSecond(): number {
    return this.rate;
  }

  /** Resolves, with the time of sending, when a token is available; callers are served in arrival order. */
  take(): Promise<number> {
    const turn = this.queue.then(() => this.acquire());
    this.queue = turn;
    return turn;
  }

  /** A call sent at `sentAt` was throttled: halve the rate, once per cut (calls in flight or sent just after it do not cut again). */
  throttled(sentAt: number): void {
    if (sentAt < this.lastCut + this.tuning.cutGraceSeconds * 1000) return;
    this.refill();
    this.rate = Math.max(Math.min(this.tuning.floorPerSecond, this.ceiling.refillPerSecond), this.rate * this.tuning.decrease);
    this.tokens = Math.min(this.tokens, 0);
    this.lastCut = this.clock();
  }

  /** A call succeeded: raise the rate by a small step, so that it climbs `increasePerSecond` a second (more the longer it has been since a throttle). */
  succeeded(): void {
    if (this.rate >= this.ceiling.refillPerSecond) return;
    this.refill();
    const calmSeconds = (this.clock() - this.lastCut) / 1000;
    const increase = this.tuning.increasePerSecond * 2 ** Math.min(calmSeconds / this.tuning.increaseDoublingSeconds, 10);
    this.rate = Math.min(this.ceiling.refillPerSecond, this.rate + increase / this.rate);
  }

  private async acquire(): Promise<number> {
    this.refill();
    while (this.tokens < 1) {
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    this.tokens -= 1;
    return this.clock();
  }

  /** The burst shrinks with the rate: after a throttle, spare tokens must not turn into a new burst. */
  private refill(): void {
    const now = this.clock();
    const capacity = Math.max(1, this.ceiling.capacity * (this.rate / this.ceiling.refillPerSecond));
    this.tokens = Math.min(capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}

const THROTTLING_ERRORS = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'EC2ThrottledException']);

export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLING_ERRORS.has(error.name) || status === 429;
}

export interface PacingOptions {
  /** the fraction of each EC2 bucket's refill (and burst) this client may use, 0 < x <= 1 */
  readonly apiShare?: number;
  readonly tuning?: AdaptiveTuning;
}

/** One region's buckets, plugged into a client so every attempt (retries included) takes a token and reports back. */
export function pacingPlugin<Input extends object, Output extends MetadataBearer>(options: PacingOptions = {}): Pluggable<Input, Output> {
  const apiShare = options.apiShare ?? DEFAULT_API_SHARE;
  const buckets = new Map<ThrottleClass, AdaptiveBucket>();
  const bucketFor = (cls: ThrottleClass): AdaptiveBucket => {
    let bucket = buckets.get(cls);
    if (bucket === undefined) {
      bucket = new AdaptiveBucket(ceilingOf(cls, apiShare), options.tuning);
      buckets.set(cls, bucket);
    }
    return bucket;
  };
  const middleware: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
    const bucket = bucketFor(throttleClassOf(String(context.commandName ?? '')));
    const sentAt = await bucket.take();
    try {
      const result = await next(args);
      bucket.succeeded();
      return result;
    } catch (error) {
      if (isThrottling(error)) bucket.throttled(sentAt);
      throw error;
    }
  };
  return {
    applyToStack: (stack) => {
      stack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'amiGuardPacing' });
    },
  };
}
