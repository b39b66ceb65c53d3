import { planActions, summariseReasons, TAG_VALUE_MAX } from '../../lambda/engine/plan';
import type { Reason } from '../../lambda/contract';
import { image } from './fixtures';

const now = new Date('2026-11-23T00:00:00Z');
const settings = { now, graceDays: 14, maxDeregister: 50 };
const referenced: Reason = { code: 'referenced', resourceType: 'ec2:Instance', arn: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1' };

describe('plan of actions', () => {
  it('does nothing in report mode', () => {
    const plans = planActions([{ image: image('ami-00000001'), verdict: 'blocked', reasons: [referenced], protection: 'disabled' }], { ...settings, mode: 'report' });
    expect(plans[0].marks).toEqual([]);
    expect(plans[0].deregister).toBe(false);
  });

  it('protects a blocked image without cooldown and tags why', () => {
    const [plan] = planActions(
      [{ image: image('ami-00000001', { tags: { 'ami-guard:safe-since': '2026-01-01T00:00:00Z/ami-00000001' } }), verdict: 'blocked', reasons: [referenced], protection: 'disabled' }],
      { ...settings, mode: 'protect' },
    );
    expect(plan.marks).toEqual([
      {
        action: 'tag',
        tags: {
          'ami-guard:verdict': 'blocked/ami-00000001',
          'ami-guard:reasons': 'referenced by ec2:Instance arn:aws:ec2:us-east-1:111122223333:instance/i-1/ami-00000001',
          'ami-guard:protected-by': 'ami-guard/ami-00000001',
          'ami-guard:checked-at': `${now.toISOString()}/ami-00000001`,
        },
      },
      { action: 'untag', keys: ['ami-guard:safe-since'], independent: true },
      { action: 'enable-deregistration-protection' },
    ]);
  });

  it('never touches protection someone else set', () => {
    const [plan] = planActions(
      [{ image: image('ami-00000001', { deregistrationProtection: 'enabled-with-cooldown' }), verdict: 'blocked', reasons: [], protection: 'enabled-with-cooldown' }],
      { ...settings, mode: 'protect' },
    );
    expect(plan.marks.map((m) => m.action)).toEqual(['tag']);
  });

  it('tags a safe image with safe-since once, then keeps it', () => {
    const [first] = planActions([{ image: image('ami-00000001'), verdict: 'safe', reasons: [], protection: 'disabled' }], { ...settings, mode: 'protect' });
    expect(first.marks).toEqual([
      {
        action: 'tag',
        tags: {
          'ami-guard:verdict': 'safe/ami-00000001',
          'ami-guard:safe-since': `${now.toISOString()}/ami-00000001`,
          'ami-guard:checked-at': `${now.toISOString()}/ami-00000001`,
        },
      },
    ]);
    const tagged = image('ami-00000001', { tags: { 'ami-guard:verdict': 'safe/ami-00000001', 'ami-guard:safe-since': '2026-11-03T00:00:00Z/ami-00000001' } });
    const [second] = planActions([{ image: tagged, verdict: 'safe', reasons: [], protection: 'disabled' }], { ...settings, mode: 'protect' });
    expect(second.marks).toEqual([]);
  });

  it('lifts only its own protection once the image is safe', () => {
    const ours = image('ami-00000001', {
      deregistrationProtection: 'enabled-without-cooldown',
      tags: { 'ami-guard:verdict': 'blocked/ami-00000001', 'ami-guard:protected-by': 'ami-guard/ami-00000001', 'ami-guard:reasons': 'x/ami-00000001' },
    });
    const [plan] = planActions([{ image: ours, verdict: 'safe', reasons: [], protection: 'enabled-without-cooldown' }], { ...settings, mode: 'protect' });
    expect(plan.marks.map((m) => m.action)).toEqual(['tag', 'disable-deregistration-protection', 'untag']);
  });

  it('deregisters in cleanup only safe images past the grace period, oldest first, at most max', () => {
    const safeSince = (days: number): string => new Date(now.getTime() - days * 86400000).toISOString();
    const judged = [
      { image: image('ami-00000001', { tags: { 'ami-guard:safe-since': `${safeSince(60)}/ami-00000001` } }), verdict: 'safe' as const, reasons: [], protection: 'disabled' },
      { image: image('ami-00000002', { tags: { 'ami-guard:safe-since': `${safeSince(90)}/ami-00000002` } }), verdict: 'safe' as const, reasons: [], protection: 'disabled' },
      { image: image('ami-00000003', { tags: { 'ami-guard:safe-since': `${safeSince(1)}/ami-00000003` } }), verdict: 'safe' as const, reasons: [], protection: 'disabled' },
      { image: image('ami-00000004'), verdict: 'safe' as const, reasons: [], protection: 'disabled' },
      { image: image('ami-00000005', { tags: { 'ami-guard:safe-since': `${safeSince(60)}/ami-00000005` } }), verdict: 'blocked' as const, reasons: [referenced], protection: 'disabled' },
      { image: image('ami-00000006', { tags: { 'ami-guard:safe-since': 'not a date' } }), verdict: 'safe' as const, reasons: [], protection: 'disabled' },
    ];
    const plans = planActions(judged, { ...settings, mode: 'cleanup', maxDeregister: 1 });
    expect(plans.filter((p) => p.deregister).map((p) => p.image.imageId)).toEqual(['ami-00000002']);
    expect(plans[0].marks).toContainEqual(expect.objectContaining({ action: 'skip', skipped: 'deregister' }));
  });

  it('summarises reasons within the tag value limit and says how many were left out', () => {
    const many: Reason[] = Array.from({ length: 40 }, (_, i) => ({ code: 'referenced', resourceType: 'ec2:Instance', arn: `arn:aws:ec2:us-east-1:111122223333:instance/i-${i}` }));
    const text = summariseReasons(many);
    expect(text.length).toBeLessThanOrEqual(TAG_VALUE_MAX);
    expect(text).toMatch(/\+\d+ more$/);
  });
});
