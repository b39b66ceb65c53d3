import { bindMark, markOf } from '../../lambda/engine/marks';
import { indexLineage } from '../../lambda/engine/lineage';
import { planActions, safeSince } from '../../lambda/engine/plan';
import { protectedByAmiGuard } from '../../lambda/engine/rules/deregistration-protected';
import { decide } from '../../lambda/engine/verdict';
import { changesSince } from '../../lambda/recheck';
import { evidenceFor, image } from './fixtures';

const ORIGINAL = 'ami-00000001';
const COPY = 'ami-00000002';
const now = new Date('2026-11-23T00:00:00Z');
const settings = { now, graceDays: 14, maxDeregister: 50 };
const daysAgo = (days: number): string => new Date(now.getTime() - days * 86_400_000).toISOString();

/** ami-guard's marks as it writes them on ORIGINAL; on COPY they are copies. */
const marksOfOriginal = {
  'ami-guard:verdict': bindMark(ORIGINAL, 'safe'),
  'ami-guard:safe-since': bindMark(ORIGINAL, daysAgo(60)),
  'ami-guard:protected-by': bindMark(ORIGINAL, 'ami-guard'),
};

describe('marks bound to the image they were written on', () => {
  it('reads a mark written on this image, and not one copied from another, unbound, or a near miss', () => {
    expect(bindMark(ORIGINAL, 'safe')).toBe('safe/ami-00000001');
    expect(markOf(image(ORIGINAL, { tags: marksOfOriginal }), 'ami-guard:verdict')).toBe('safe');
    expect(markOf(image(COPY, { tags: marksOfOriginal }), 'ami-guard:verdict')).toBeUndefined();
    expect(markOf(image(ORIGINAL, { tags: { 'ami-guard:verdict': 'safe' } }), 'ami-guard:verdict')).toBeUndefined();
    expect(markOf(image('ami-000000012', { tags: { 'ami-guard:verdict': 'safe/ami-0000000012' } }), 'ami-guard:verdict')).toBeUndefined();
    expect(markOf(image(ORIGINAL, { tags: {} }), 'constructor')).toBeUndefined();
    expect(markOf(image(ORIGINAL, { tags: {} }), 'toString')).toBeUndefined();
  });

  it('a copied protected-by is a person\'s protection: a reason, and never lifted', () => {
    const copy = image(COPY, { deregistrationProtection: 'enabled-without-cooldown', tags: marksOfOriginal });
    expect(protectedByAmiGuard(copy)).toBe(false);
    const decision = decide(copy, indexLineage([copy]), evidenceFor([copy]), []);
    expect(decision.reasons).toEqual([{ code: 'deregistration-protected', value: 'enabled-without-cooldown' }]);
    const [plan] = planActions([{ image: copy, ...decision, protection: 'enabled-without-cooldown' }], { ...settings, mode: 'cleanup' });
    expect(plan.marks.map((m) => m.action)).not.toContain('disable-deregistration-protection');
    expect(plan.deregister).toBe(false);
  });

  it('an old unbound protected-by (earlier releases) reads as a person\'s protection too', () => {
    const old = image(ORIGINAL, { deregistrationProtection: 'enabled-without-cooldown', tags: { 'ami-guard:protected-by': 'ami-guard' } });
    const decision = decide(old, indexLineage([old]), evidenceFor([old]), []);
    expect(decision.verdict).toBe('blocked');
    // left in place, so that people can find the images an earlier release protected
    const [plan] = planActions([{ image: old, ...decision, protection: 'enabled-without-cooldown' }], { ...settings, mode: 'protect' });
    expect(plan.marks.map((m) => m.action)).toEqual(['tag']);
  });

  it('a copied safe-since does not date the copy: the grace period starts now, the copy is not due', () => {
    const copy = image(COPY, { tags: marksOfOriginal });
    expect(safeSince(copy)).toBeUndefined();
    const [plan] = planActions([{ image: copy, verdict: 'safe', reasons: [], protection: 'disabled' }], { ...settings, mode: 'cleanup' });
    expect(plan.deregister).toBe(false);
    expect(plan.marks[0]).toEqual({
      action: 'tag',
      tags: {
        'ami-guard:verdict': `safe/${COPY}`,
        'ami-guard:safe-since': `${now.toISOString()}/${COPY}`,
        'ami-guard:checked-at': `${now.toISOString()}/${COPY}`,
      },
    });
    // the copied protected-by is not ami-guard's: dropped, with no protection lifted
    expect(plan.marks.slice(1)).toEqual([{ action: 'untag', keys: ['ami-guard:protected-by'] }]);
  });

  it('a copied verdict is ignored: the copy\'s own verdict is written', () => {
    const copy = image(COPY, { tags: { 'ami-guard:verdict': bindMark(ORIGINAL, 'safe') } });
    const [plan] = planActions([{ image: copy, verdict: 'blocked', reasons: [], protection: 'disabled' }], { ...settings, mode: 'protect' });
    expect(plan.marks[0]).toMatchObject({ action: 'tag', tags: { 'ami-guard:verdict': `blocked/${COPY}`, 'ami-guard:protected-by': `ami-guard/${COPY}` } });
  });

  it('a copied protected-by on a blocked copy that a person protected is dropped; the protection stays', () => {
    const copy = image(COPY, { deregistrationProtection: 'enabled-with-cooldown', tags: { 'ami-guard:protected-by': bindMark(ORIGINAL, 'ami-guard') } });
    const [plan] = planActions([{ image: copy, verdict: 'blocked', reasons: [], protection: 'enabled-with-cooldown' }], { ...settings, mode: 'protect' });
    expect(plan.marks.map((m) => m.action)).toEqual(['tag', 'untag']);
    expect(plan.marks[1]).toEqual({ action: 'untag', keys: ['ami-guard:protected-by'], independent: true });
  });
});

describe('what the re-check compares', () => {
  it('sees a changed state, a launch, a new tag, and not ami-guard\'s own marks', () => {
    const before = image(ORIGINAL, { tags: { Team: 'web' } });
    expect(changesSince(before, image(ORIGINAL, { tags: { Team: 'web', 'ami-guard:verdict': bindMark(ORIGINAL, 'safe') } }))).toEqual([]);
    expect(changesSince(before, image(ORIGINAL, { state: 'disabled', lastLaunchedTime: daysAgo(0), tags: { Team: 'web', 'ami-guard:keep': 'true' } }))).toEqual([
      'state available -> disabled',
      `LastLaunchedTime (none) -> ${daysAgo(0)}`,
      'tag ami-guard:keep (none) -> true',
    ]);
  });
});
