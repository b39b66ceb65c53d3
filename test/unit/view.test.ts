// The one report view every renderer reads (lambda/report/view.ts): sections, headline, errors,
// each image's lines, dates, actions and the waits many images share.

import type { ActionEntry, ImageEntry } from '../../lambda/contract';
import {
  actionText,
  ageText,
  datesText,
  errorLine,
  formatGiB,
  imageLabel,
  imageView,
  recycleBinLine,
  reportView,
  SAFE_WHY,
} from '../../lambda/report/view';
import { imageEntry, imageIdOf, reportOf, reportWith } from './report-fixture';

const started = Date.parse('2025-03-10T06:00:00.000Z');
// fixture indexes: 0, 1, 2 blocked; 3 unverified; 4, 5 safe
const safe = (overrides: Partial<ImageEntry> = {}): ImageEntry => ({ ...imageEntry(4), ...overrides });
const ids = (images: readonly { entry: ImageEntry }[]): string[] => images.map((image) => image.entry.imageId);

describe('reportView', () => {
  it('has the three sections in the order that matters, empty ones included', () => {
    const view = reportView(reportOf(6));
    expect(view.sections.map((s) => [s.verdict, s.title])).toEqual([
      ['unverified', 'Unverified'],
      ['blocked', 'Blocked'],
      ['safe', 'Safe'],
    ]);
    expect(view.sections.map((s) => ids(s.images))).toEqual([[imageIdOf(3)], [imageIdOf(0), imageIdOf(1), imageIdOf(2)], [imageIdOf(4), imageIdOf(5)]]);
    const onlySafe = reportView(reportWith([imageEntry(4)]));
    expect(onlySafe.sections.map((s) => s.images.length)).toEqual([0, 0, 1]);
  });

  it('heads with the outcome and the counts, problems first', () => {
    expect(reportView(reportOf(6)).headline).toBe('Failed: 1 unverified, 3 blocked, 2 safe');
    const errors = [
      { check: 'references' as const, region: 'eu-west-1', imageId: 'ami-1', message: 'throttled' },
      { check: 'notify' as const, message: 'SNS refused' },
    ];
    expect(reportView(reportOf(6, { errors })).headline).toBe('Failed: 2 errors, 1 unverified, 3 blocked, 2 safe');
    expect(reportView(reportWith([imageEntry(4)]), 'scan').headline).toBe('Needs attention: 1 safe');
  });

  it('writes each run error in one line: region, image, check, message, the absent parts left out', () => {
    const view = reportView(
      reportOf(1, {
        errors: [
          { check: 'references', region: 'eu-west-1', imageId: 'ami-0123', message: 'RequestLimitExceeded' },
          { check: 'notify', message: 'SNS refused' },
          { message: 'time limit' },
        ],
      }),
    );
    expect(view.errors).toEqual(['[eu-west-1] ami-0123 references: RequestLimitExceeded', 'notify: SNS refused', 'time limit']);
    expect(errorLine({ region: 'us-east-1', message: 'listing failed' })).toBe('[us-east-1] listing failed');
  });

  it('says the scope, the saving as an estimate, and what was and still is reclaimable', () => {
    const view = reportView(reportOf(6));
    expect(view.scope).toBe('report mode, schedule run in us-east-1, eu-west-1');
    expect(reportView(reportOf(0, { regions: [] })).scope).toBe('report mode, schedule run in no region');
    expect(view.saving).toMatch(/^about \$3\.00 a month \(an estimate: 60 GiB of snapshots of the safe images at \$0\.05 per GiB-month; /);
    expect(view.reclaim).toBe('reclaimed this run: 0 GiB of snapshots; still reclaimable: 60 GiB');
    expect(formatGiB(12.345)).toBe('12.3 GiB');
  });

  it('says a dry run is one, and nothing otherwise', () => {
    expect(reportView(reportOf(1, { dryRun: true })).dryRun).toBe('dry run: nothing was changed in AWS; the actions listed are the plan');
    expect(reportView(reportOf(1)).dryRun).toBe('');
  });

  it('counts a wait many images share once, and keeps it out of their own actions', () => {
    const waiting: ActionEntry = { action: 'deregister', outcome: 'skipped', detail: '--max-deregister 5 reached in this run' };
    const other: ActionEntry = { action: 'deregister', outcome: 'skipped', detail: 'the run stopped before its time limit' };
    const report = reportWith([safe({ actions: [waiting] }), { ...imageEntry(5), actions: [waiting, other] }, { ...imageEntry(0), actions: [] }]);
    const view = reportView(report);
    expect(view.waiting).toEqual(['2 images past their grace wait for later runs: --max-deregister 5 reached']);
    expect(view.sections[2].images.map((i) => i.actions)).toEqual([[], ['deregister: skipped - the run stopped before its time limit']]);
    expect(reportView(reportWith([safe({ actions: [waiting] })])).waiting).toEqual(['1 image past their grace wait for later runs: --max-deregister 5 reached']);
  });
});

describe('imageView', () => {
  it('blocked and unverified: why is each reason in words', () => {
    expect(imageView(imageEntry(0), started).why).toEqual([`referenced by ec2:Instance arn:aws:ec2:us-east-1:123456789012:instance/i-00000000000000000`]);
    expect(imageView(imageEntry(1), started).why).toEqual([`ancestor of in-use ${imageIdOf(1_000_001)} (eu-west-1)`]);
    expect(imageView(imageEntry(3), started).why).toEqual(['references check failed: RequestLimitExceeded: Request limit exceeded.']);
  });

  it('safe: why is the candidate rule, that nothing needs it, and its dates', () => {
    const dated = safe({ safeSince: '2025-03-01T06:00:00.000Z', eligibleOn: '2025-03-15T06:00:00.000Z' });
    const view = imageView(dated, started);
    expect(view.why).toEqual([`candidate: ${dated.candidateBecause}`, SAFE_WHY, 'safe since 2025-03-01, eligible for cleanup on 2025-03-15']);
    expect(view.dates).toBe('safe since 2025-03-01, eligible for cleanup on 2025-03-15');
    expect(imageView(safe(), started).why).toEqual([`candidate: ${dated.candidateBecause}`, SAFE_WHY]);
    expect(imageView(safe({ candidateBecause: undefined }), started).candidateBecause).toBe('a candidate of this run');
  });

  it('age and last launch from the start of the run; unreadable dates said so', () => {
    const view = imageView(imageEntry(4), started);
    expect(view.ageDays).toBe(419);
    expect(ageText(view)).toBe('419 days old');
    expect(view.lastLaunch).toBe('2024-06-01 (282 days ago)');
    expect(imageView(imageEntry(5), started).lastLaunch).toBe('never on record');
    const unreadable = imageView(safe({ creationDate: 'yesterday', lastLaunchedTime: 'last week' }), started);
    expect(unreadable.ageDays).toBeUndefined();
    expect(ageText(unreadable)).toBe('age unknown');
    expect(unreadable.lastLaunch).toBe('last week');
  });

  it('labels the image with its account, name and region; sums its snapshots', () => {
    expect(imageLabel({ imageId: 'ami-1', name: 'web', region: 'us-east-1' })).toBe('ami-1 (web) us-east-1');
    expect(imageLabel({ accountId: '111122223333', imageId: 'ami-1', name: '', region: 'us-east-1' })).toBe('111122223333 ami-1 us-east-1');
    const view = imageView(safe({ snapshots: [{ snapshotId: 'snap-1', deviceName: '/dev/xvda', sizeGiB: 8 }, { snapshotId: 'snap-2', deviceName: '/dev/xvdb', sizeGiB: 30 }] }), started);
    expect(view.snapshotGiB).toBe(38);
    expect(view.family).toBe('etl');
  });

  it('writes each action with its outcome, detail and error; a dry run\'s as planned', () => {
    const actions: ActionEntry[] = [
      { action: 'tag', outcome: 'failed', detail: 'ami-guard:verdict=blocked/ami-1', error: 'UnauthorizedOperation: no' },
      { action: 'enable-deregistration-protection', outcome: 'skipped', detail: 'not attempted: tag failed before it' },
      { action: 'deregister', outcome: 'planned', detail: 'after a re-check right before it; snapshots that would be deleted: snap-1 (8 GiB)' },
      { action: 'untag', outcome: 'done' },
    ];
    expect(imageView(safe({ actions }), started).actions).toEqual([
      'tag: failed - ami-guard:verdict=blocked/ami-1 - UnauthorizedOperation: no',
      'enable-deregistration-protection: skipped - not attempted: tag failed before it',
      'deregister: planned - after a re-check right before it; snapshots that would be deleted: snap-1 (8 GiB)',
      'untag: done',
    ]);
    expect(actionText({ action: 'deregister', outcome: 'done', detail: 'snap-1: success' })).toBe('deregister: done - snap-1: success');
  });
});

describe('datesText and recycleBinLine', () => {
  it('dates: safe since, eligible on, quarantine, in this order, days only; nothing when none', () => {
    expect(
      datesText({
        safeSince: '2026-01-02T10:00:00.000Z',
        eligibleOn: '2026-01-16T10:00:00.000Z',
        quarantinedSince: '2026-01-20T00:00:00.000Z',
        deregisterOn: '2026-02-19T00:00:00.000Z',
      }),
    ).toBe('safe since 2026-01-02, eligible for cleanup on 2026-01-16, quarantined (disabled) since 2026-01-20, deregistered on 2026-02-19 if still safe then');
    expect(datesText({ quarantinedSince: '2026-01-20T00:00:00.000Z' })).toBe('quarantined (disabled) since 2026-01-20');
    expect(datesText({})).toBe('');
  });

  it('recycle bin: recoverable for how long under which rules, not recoverable, or unknown and why', () => {
    expect(recycleBinLine({ recycleBin: { recoverable: true, retentionDays: 7, ruleIds: ['rule-1', 'rule-2'] } })).toBe(
      'recoverable through Recycle Bin for 7 days (rule rule-1, rule-2)',
    );
    expect(recycleBinLine({ recycleBin: { recoverable: true } })).toBe('recoverable through Recycle Bin for ? days');
    expect(recycleBinLine({ recycleBin: { recoverable: false } })).toBe('NOT recoverable through Recycle Bin (no retention rule covers it)');
    expect(recycleBinLine({ recycleBin: { recoverable: 'unknown', message: 'AccessDenied: rbin' } })).toBe('Recycle Bin recovery unknown: AccessDenied: rbin');
    expect(recycleBinLine({ recycleBin: { recoverable: 'unknown' } })).toBe('Recycle Bin recovery unknown');
  });
});
