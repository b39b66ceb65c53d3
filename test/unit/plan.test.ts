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

describe('quarantine in the plan', () => {
  const DAY = 86_400_000;
  const iso = (daysBefore: number): string => new Date(now.getTime() - daysBefore * DAY).toISOString();
  const safeFor = (id: string, days: number, extra: { quarantinedDaysAgo?: number; state?: string } = {}) =>
    image(id, {
      state: extra.state ?? (extra.quarantinedDaysAgo !== undefined ? 'disabled' : 'available'),
      tags: {
        'ami-guard:verdict': `safe/${id}`,
        'ami-guard:safe-since': `${iso(days)}/${id}`,
        ...(extra.quarantinedDaysAgo !== undefined ? { 'ami-guard:quarantined-since': `${iso(extra.quarantinedDaysAgo)}/${id}` } : {}),
      },
    });
  const cleanup = { ...settings, mode: 'cleanup' as const, quarantineDays: 7 };
  const plan = (img: ReturnType<typeof image>, extra: Partial<typeof cleanup> = {}) =>
    planActions([{ image: img, verdict: 'safe', reasons: [], protection: 'disabled' }], { ...cleanup, ...extra })[0];

  it('quarantineDays 0 keeps deregistering at once', () => {
    const result = plan(safeFor('ami-00000001', 30), { quarantineDays: 0 });
    expect(result.deregister).toBe(true);
    expect(result.marks).toEqual([]);
  });

  it('marks, then disables, a safe image past its grace instead of deregistering it', () => {
    const result = plan(safeFor('ami-00000001', 30));
    expect(result.deregister).toBe(false);
    expect(result.marks).toEqual([
      { action: 'tag', tags: { 'ami-guard:quarantined-since': `${now.toISOString()}/ami-00000001` } },
      { action: 'disable-image' },
    ]);
  });

  it('waits while the quarantine lasts, and deregisters once it is over', () => {
    expect(plan(safeFor('ami-00000001', 30, { quarantinedDaysAgo: 6 }))).toMatchObject({ deregister: false, marks: [] });
    expect(plan(safeFor('ami-00000001', 30, { quarantinedDaysAgo: 7 }))).toMatchObject({ deregister: true, marks: [] });
  });

  it('a quarantine mark on an image someone enabled again is no quarantine: it is quarantined anew', () => {
    const result = plan(safeFor('ami-00000001', 30, { quarantinedDaysAgo: 30, state: 'available' }));
    expect(result.deregister).toBe(false);
    expect(result.marks).toContainEqual({ action: 'disable-image' });
  });

  it('a quarantined image found needed is protected first, then enabled, and its mark goes last', () => {
    const quarantinedImage = safeFor('ami-00000001', 30, { quarantinedDaysAgo: 3 });
    const [result] = planActions([{ image: quarantinedImage, verdict: 'blocked', reasons: [referenced], protection: 'disabled' }], cleanup);
    expect(result.deregister).toBe(false);
    expect(result.marks.map((m) => m.action)).toEqual(['tag', 'untag', 'enable-deregistration-protection', 'enable-image', 'untag']);
    expect(result.marks.at(-1)).toEqual({ action: 'untag', keys: ['ami-guard:quarantined-since'] });
  });

  it('caps each step at --max-deregister, the longest-safe first', () => {
    const plans = planActions(
      [safeFor('ami-00000001', 20), safeFor('ami-00000002', 40), safeFor('ami-00000003', 30)].map((img) => ({ image: img, verdict: 'safe' as const, reasons: [], protection: 'disabled' })),
      { ...cleanup, maxDeregister: 1 },
    );
    expect(plans.map((p) => p.marks.some((m) => m.action === 'disable-image'))).toEqual([false, true, false]);
    expect(plans[0].marks).toContainEqual({ action: 'skip', skipped: 'deregister', why: '--max-deregister 1 reached in this run' });
  });
});
