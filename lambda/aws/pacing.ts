// Client-side pacing: a token bucket per (region, EC2 throttle class), kept just under EC2's own
// bucket so a scan waits for tokens instead of retrying into RequestLimitExceeded.

import type { FinalizeRequestMiddleware, MetadataBearer, Pluggable } from '@smithy/types';

export interface BucketShape {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/**
 * EC2's documented buckets, each taken at 95% burst and 99% refill.
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 */
export const EC2_BUCKETS = {
  describe: { capacity: 95, refillPerSecond: 19.8 },
  tags: { capacity: 95, refillPerSecond: 9.9 },
  imageMutation: { capacity: 95, refillPerSecond: 4.95 },
  mutating: { capacity: 47, refillPerSecond: 4.95 },
} as const satisfies Record<string, BucketShape>;

export type ThrottleClass = keyof typeof EC2_BUCKETS;

export function throttleClassOf(commandName: string): ThrottleClass {
  const action = commandName.replace(/Command$/, '');
  if (/^(Describe|Get|List)/.test(action)) return 'describe';
  if (action === 'CreateTags' || action === 'DeleteTags') return 'tags';
  if (/^(DeregisterImage|EnableImageDeregistrationProtection|DisableImageDeregistrationProtection|ModifyImageAttribute|DeleteSnapshot)$/.test(action)) {
    return 'imageMutation';
  }
  return 'mutating';
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly shape: BucketShape,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = shape.capacity;
    this.last = clock();
  }

  /** Resolves when a token is available; callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.acquire());
    this.queue = turn;
    return turn;
  }

  private async acquire(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const waitMs = ((1 - this.tokens) / this.shape.refillPerSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = Math.min(this.shape.capacity, this.tokens + ((now - this.last) / 1000) * this.shape.refillPerSecond);
    this.last = now;
  }
}

/** One region's buckets, plugged into a client so every attempt (retries included) takes a token. */
export function pacingPlugin<Input extends object, Output extends MetadataBearer>(): Pluggable<Input, Output> {
  const buckets = new Map<ThrottleClass, TokenBucket>();
  const bucketFor = (cls: ThrottleClass): TokenBucket => {
    let bucket = buckets.get(cls);
    if (bucket === undefined) {
      bucket = new TokenBucket(EC2_BUCKETS[cls]);
      buckets.set(cls, bucket);
    }
    return bucket;
  };
  const middleware: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
    await bucketFor(throttleClassOf(String(context.commandName ?? ''))).take();
    return next(args);
  };
  return {
    applyToStack: (stack) => {
      stack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'amiGuardPacing' });
    },
  };
}
