import { createHash } from 'node:crypto';
import { canonicalJson, containsParams } from './query';
import type { FaultRule, Params, ServiceName, ThrottleClass, ThrottleConfig } from './types';

/** AWS's documented EC2 request-rate buckets (capacity, refill per second) per account and region. */
export const AWS_THROTTLE: ThrottleConfig = {
  describe: { capacity: 100, refillPerSecond: 20 },
  tags: { capacity: 100, refillPerSecond: 10 },
  deregister: { capacity: 100, refillPerSecond: 5 },
  mutating: { capacity: 50, refillPerSecond: 5 },
};

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets per region and class; `take` answers whether the call may proceed. */
export class Throttle {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    readonly config: ThrottleConfig,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(region: string, cls: ThrottleClass): boolean {
    const spec = this.config[cls];
    const key = `${region}/${cls}`;
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: spec.capacity, at: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(spec.capacity, b.tokens + ((t - b.at) / 1000) * spec.refillPerSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/** Merges a partial config over AWS's defaults. */
export function throttleConfig(partial: Partial<ThrottleConfig> = {}): ThrottleConfig {
  return { ...AWS_THROTTLE, ...partial };
}

export interface FaultDecision {
  rule: FaultRule;
}

/**
 * Decides faults deterministically. Each distinct request (service, action, canonical params)
 * has an occurrence counter; the n-th occurrence is faulted by a rule when n <= rule.times (if
 * set) and hash(seed, rule index, request, n) < rule.probability.
 */
export class FaultInjector {
  private readonly seen = new Map<string, number>();
  constructor(
    private rules: FaultRule[],
    private readonly seed: number,
  ) {}

  setRules(rules: FaultRule[]): void {
    this.rules = rules;
    this.seen.clear();
  }

  /**
   * `accountId` is the account the call acts as (matched against `FaultRule.accountId`); with
   * `perAccount` (organization mode) the same request from two accounts counts as two requests.
   */
  decide(service: ServiceName, action: string, params: Params, accountId?: string, perAccount = false): FaultRule | undefined {
    if (this.rules.length === 0) return undefined;
    const request = perAccount
      ? `${service}|${action}|${accountId ?? ''}|${canonicalJson(params)}`
      : `${service}|${action}|${canonicalJson(params)}`;
    const n = (this.seen.get(request) ?? 0) + 1;
    this.seen.set(request, n);
    for (let i = 0; i < this.rules.length; i += 1) {
      const rule = this.rules[i] as FaultRule;
      if (rule.service !== undefined && rule.service !== service) continue;
      if (rule.action !== '*' && rule.action !== action) continue;
      if (rule.accountId !== undefined && rule.accountId !== accountId) continue;
      if (rule.match !== undefined) {
        const ok = typeof rule.match === 'function' ? rule.match(params) : containsParams(params, rule.match);
        if (!ok) continue;
      }
      if (rule.times !== undefined && n > rule.times) continue;
      const p = rule.probability ?? 1;
      if (p < 1 && unitHash(`${this.seed}|${i}|${request}|${n}`) >= p) continue;
      return rule;
    }
    return undefined;
  }
}

/** A number in [0, 1) from a string. */
export function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}
