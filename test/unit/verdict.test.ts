import { indexLineage, descendantsOf, ownedAncestry } from '../../lambda/engine/lineage';
import { decide, verdictOf } from '../../lambda/engine/verdict';
import { EXTRA_SOURCES, type Reason } from '../../lambda/contract';
import { completed, evidenceFor, failed, image, ref } from './fixtures';

const codes = (reasons: readonly Reason[]): string[] => reasons.map((r) => r.code);

describe('verdict', () => {
  const base = image('ami-0000000a');

  it('is safe only when every check completed and found nothing', () => {
    const index = indexLineage([base]);
    const decision = decide(base, index, evidenceFor([base]), []);
    expect(decision.verdict).toBe('safe');
    expect(decision.reasons).toEqual([]);
  });

  it('blocks an image with more references than a call can take as arguments (no spread of a list that grows with the account)', () => {
    const index = indexLineage([base]);
    const many = Array.from({ length: 500_000 }, (_, i) => ref('ami-0000000a', 'ec2:Instance', `arn:aws:ec2:us-east-1:111122223333:instance/i-${i}`));
    const evidence = evidenceFor([base], { references: { 'ami-0000000a': completed(many) }, sources: { 'autoscaling:LaunchConfiguration': many.slice(0, 200_000) } });
    const decision = decide(base, index, evidence, []);
    expect(decision.verdict).toBe('blocked');
    expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it('blocks a referenced image with the resource type and ARN', () => {
    const index = indexLineage([base]);
    const evidence = evidenceFor([base], { references: { 'ami-0000000a': completed([ref('ami-0000000a', 'ssm:Parameter', 'arn:aws:ssm:us-east-1:111122223333:parameter/golden')]) } });
    const decision = decide(base, index, evidence, []);
    expect(decision.verdict).toBe('blocked');
    expect(decision.reasons).toEqual([{ code: 'referenced', resourceType: 'ssm:Parameter', arn: 'arn:aws:ssm:us-east-1:111122223333:parameter/golden' }]);
  });

  it.each([
    ['references', { references: { 'ami-0000000a': failed<never>('RequestLimitExceeded: slow down') } }],
    ['launch-permissions', { permissions: { 'ami-0000000a': failed<never>('UnauthorizedOperation: denied') } }],
    ['ancestry', { lineage: { 'ami-0000000a': failed<never>('UnauthorizedOperation: denied') } }],
  ])('is unverified when the %s check failed, naming the check', (check, spec) => {
    const index = indexLineage([base]);
    const decision = decide(base, index, evidenceFor([base], spec), []);
    expect(decision.verdict).toBe('unverified');
    expect(decision.reasons).toContainEqual(expect.objectContaining({ code: 'check-failed', check }));
  });

  it('is unverified when evidence is missing altogether (a check that never ran)', () => {
    const index = indexLineage([base]);
    const empty = { references: new Map(), launchPermissions: new Map(), lineage: new Map(), protection: new Map(), sources: new Map(), recycleBin: new Map(), usage: new Map(), notChecked: new Map() };
    const decision = decide(base, index, empty, []);
    expect(decision.verdict).toBe('unverified');
    expect(new Set(decision.reasons.map((r) => (r.code === 'check-failed' ? r.check : r.code)))).toEqual(
      new Set(['references', 'launch-permissions', 'ancestry', ...EXTRA_SOURCES]),
    );
  });

  it('is unverified when DescribeImages gave no protection value and none was read', () => {
    const unknown = image('ami-0000000b', { deregistrationProtection: undefined });
    const decision = decide(unknown, indexLineage([unknown]), evidenceFor([unknown]), []);
    expect(decision.verdict).toBe('unverified');
    expect(decision.reasons).toContainEqual(expect.objectContaining({ check: 'deregistration-protection' }));
  });

  it.each(['enabled', 'enabled-with-cooldown', 'enabled-without-cooldown', 'disabled-with-cooldown', 'something-new'])(
    'treats protection %s as protected',
    (value) => {
      const protectedImage = image('ami-0000000c', { deregistrationProtection: value });
      const decision = decide(protectedImage, indexLineage([protectedImage]), evidenceFor([protectedImage]), []);
      expect(decision.verdict).toBe('blocked');
      expect(decision.reasons).toEqual([{ code: 'deregistration-protected', value }]);
    },
  );

  it('does not count protection ami-guard set itself (without cooldown) as a reason', () => {
    const ours = image('ami-0000000d', { deregistrationProtection: 'enabled-without-cooldown', tags: { 'ami-guard:protected-by': 'ami-guard/ami-0000000d' } });
    expect(decide(ours, indexLineage([ours]), evidenceFor([ours]), []).verdict).toBe('safe');
    const changed = image('ami-0000000e', { deregistrationProtection: 'enabled-with-cooldown', tags: { 'ami-guard:protected-by': 'ami-guard/ami-0000000e' } });
    expect(decide(changed, indexLineage([changed]), evidenceFor([changed]), []).verdict).toBe('blocked');
  });

  it('names every share: public, account, organization, OU', () => {
    const shared = image('ami-0000000f', { public: true });
    const evidence = evidenceFor([shared], {
      permissions: {
        'ami-0000000f': completed([
          { group: 'all' },
          { userId: '444455556666' },
          { organizationArn: 'arn:aws:organizations::111122223333:organization/o-abc' },
          { organizationalUnitArn: 'arn:aws:organizations::111122223333:ou/o-abc/ou-1' },
        ]),
      },
    });
    const decision = decide(shared, indexLineage([shared]), evidence, []);
    expect(decision.reasons).toEqual([
      { code: 'shared', sharedWith: 'public', kind: 'public' },
      { code: 'shared', sharedWith: '444455556666', kind: 'account' },
      { code: 'shared', sharedWith: 'arn:aws:organizations::111122223333:organization/o-abc', kind: 'organization' },
      { code: 'shared', sharedWith: 'arn:aws:organizations::111122223333:ou/o-abc/ou-1', kind: 'organizational-unit' },
    ]);
  });

  it('fails closed on a launch permission it does not recognise', () => {
    const odd = image('ami-00000010');
    const decision = decide(odd, indexLineage([odd]), evidenceFor([odd], { permissions: { 'ami-00000010': completed([{}]) } }), []);
    expect(decision.verdict).toBe('unverified');
  });

  it('carries run-wide failures (a region not listed) into every decision', () => {
    const decision = decide(base, indexLineage([base]), evidenceFor([base]), [{ code: 'check-failed', check: 'inventory', message: 'eu-west-1 failed' }]);
    expect(decision.verdict).toBe('unverified');
  });

  it('orders failed checks before blocking reasons', () => {
    expect(verdictOf([{ code: 'referenced', resourceType: 'ec2:Instance', arn: 'x' }, { code: 'check-failed', check: 'references', message: 'm' }])).toBe('unverified');
  });
});

describe('sources beyond DescribeImageReferences', () => {
  const base = image('ami-0000000a');
  it.each(EXTRA_SOURCES)('blocks an image that %s names, with its ARN', (source) => {
    const arn = `arn:aws:example:us-east-1:111122223333:${source}/x`;
    const decision = decide(base, indexLineage([base]), evidenceFor([base], { sources: { [source]: [ref('ami-0000000a', source, arn)] } }), []);
    expect(decision).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'referenced', resourceType: source, arn }] });
  });

  it.each(EXTRA_SOURCES)('is unverified when %s could not be listed, naming the source', (source) => {
    const decision = decide(base, indexLineage([base]), evidenceFor([base], { failedSource: source }), []);
    expect(decision.verdict).toBe('unverified');
    expect(decision.reasons).toEqual([{ code: 'check-failed', check: source, message: 'AccessDenied: no' }]);
  });

  it('blocks the ancestor of an image a launch configuration uses', () => {
    const child = image('ami-0000000b', { sourceImageId: 'ami-0000000a' });
    const evidence = evidenceFor([base, child], { sources: { 'autoscaling:LaunchConfiguration': [ref('ami-0000000b', 'autoscaling:LaunchConfiguration', 'arn:lc')] } });
    expect(decide(base, indexLineage([base, child]), evidence, []).reasons).toEqual([{ code: 'ancestor-of-in-use', imageId: 'ami-0000000b', region: 'us-east-1' }]);
  });
});

describe('lineage', () => {
  // root (owned, from amazon) -> child (disabled, eu-west-1 copy) -> grandchild (in use)
  const root = image('ami-00000001', { sourceImageId: 'ami-0amazon0', sourceImageRegion: 'us-east-1' });
  const child = image('ami-00000002', { region: 'eu-west-1', state: 'disabled', sourceImageId: 'ami-00000001', sourceImageRegion: 'us-east-1' });
  const grandchild = image('ami-00000003', { region: 'eu-west-1', sourceImageId: 'ami-00000002' });
  const index = indexLineage([root, child, grandchild]);

  it('finds descendants across regions and through disabled images', () => {
    expect(descendantsOf(root, index).map((i) => i.imageId)).toEqual(['ami-00000002', 'ami-00000003']);
  });

  it('builds the owned chain and says where it leaves the inventory', () => {
    const owned = ownedAncestry(grandchild, index);
    expect(owned.chain.map((e) => `${e.imageId}@${e.region}`)).toEqual(['ami-00000003@eu-west-1', 'ami-00000002@eu-west-1', 'ami-00000001@us-east-1']);
    expect(owned.continueFrom?.imageId).toBe('ami-00000001');
  });

  it('blocks an ancestor two generations up from an in-use image, naming it and its region', () => {
    const evidence = evidenceFor([root, child, grandchild], { references: { 'ami-00000003': completed([ref('ami-00000003')]) } });
    const decision = decide(root, index, evidence, []);
    expect(decision.verdict).toBe('blocked');
    expect(decision.reasons).toEqual([{ code: 'ancestor-of-in-use', imageId: 'ami-00000003', region: 'eu-west-1' }]);
  });

  it('is unverified when a descendant could not be checked', () => {
    const evidence = evidenceFor([root, child, grandchild], { references: { 'ami-00000002': failed('InternalError') } });
    const decision = decide(root, index, evidence, []);
    expect(decision.verdict).toBe('unverified');
    expect(codes(decision.reasons)).toEqual(['check-failed']);
  });

  it('survives a cycle in source links', () => {
    const a = image('ami-000000a1', { sourceImageId: 'ami-000000a2' });
    const b = image('ami-000000a2', { sourceImageId: 'ami-000000a1' });
    const cyclic = indexLineage([a, b]);
    expect(descendantsOf(a, cyclic).map((i) => i.imageId)).toEqual(['ami-000000a2']);
    expect(ownedAncestry(a, cyclic).chain).toHaveLength(2);
  });
});

describe('lineage in organization mode', () => {
  const root = image('ami-0000000e');
  const child = image('ami-0000000f', { sourceImageId: 'ami-0000000e' });
  const index = indexLineage([root, child]);
  const withOrganization = (uses: readonly { users?: number; failure?: string }[] | undefined) => ({
    ...evidenceFor([root, child]),
    descendantsInOrganization: new Map(
      uses === undefined
        ? []
        : [
            [
              'us-east-1/ami-0000000e',
              uses.map((use, i) => ({
                imageId: `ami-00000f0${i}`,
                region: 'eu-west-1',
                accountId: '222222222222',
                users: Array.from({ length: use.users ?? 0 }, () => ({ accountId: '222222222222', resourceType: 'ec2:Instance', usageCount: 1 })),
                failures: use.failure === undefined ? [] : [{ check: 'cross-account' as const, message: use.failure }],
              })),
            ],
          ],
    ),
  });

  it('reads the descendants across the organization instead of the account own lineage', () => {
    expect(decide(root, index, withOrganization([]), []).verdict).toBe('safe');
    const used = decide(root, index, withOrganization([{ users: 1 }]), []);
    expect(used.verdict).toBe('blocked');
    expect(used.reasons).toEqual([{ code: 'ancestor-of-in-use', imageId: 'ami-00000f00', region: 'eu-west-1' }]);
  });

  it('is unverified when a descendant use failed, or when the descendants were not checked', () => {
    const failing = decide(root, index, withOrganization([{}, { failure: 'account 333333333333 is SUSPENDED' }]), []);
    expect(failing.verdict).toBe('unverified');
    expect(failing.reasons).toEqual([
      { code: 'check-failed', check: 'cross-account', message: 'descendant ami-00000f01 (eu-west-1, account 222222222222): account 333333333333 is SUSPENDED' },
    ]);
    expect(decide(root, index, withOrganization(undefined), []).verdict).toBe('unverified');
  });
});
