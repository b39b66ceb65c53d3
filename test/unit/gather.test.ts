// gather.ts over a gateway held in memory: which reads it makes, how often, and what it records
// when one fails or is never started.

import { EXTRA_SOURCES } from '../../lambda/contract';
import { checkReferences, gatherEvidence, gatherInventory, type EvidenceOptions, type GatherContext } from '../../lambda/gather';
import { indexLineage } from '../../lambda/engine/lineage';
import type { CheckResult, Evidence, ImageRecord, ImageReference } from '../../lambda/engine/model';
import { completed, failed, image, ref } from './fixtures';
import { awsError, memoryGateway, type MemoryGateway, type MemorySpec } from './memory-gateway';

const id = (n: number): string => `ami-${n.toString(16).padStart(8, '0')}`;
const key = (i: Pick<ImageRecord, 'region' | 'imageId'>): string => `${i.region}/${i.imageId}`;

function contextOf(memory: MemoryGateway, shouldStop: () => boolean = () => false): GatherContext & { messages: string[] } {
  const messages: string[] = [];
  return { gateway: memory.gateway, progress: (message) => messages.push(message), shouldStop, messages };
}

/** gatherEvidence over the owned images `inventory`, for `candidates` among them. */
async function gather(
  inventory: readonly ImageRecord[],
  candidates: readonly ImageRecord[],
  spec: MemorySpec = {},
  options?: EvidenceOptions,
  shouldStop?: (memory: MemoryGateway) => () => boolean,
): Promise<{ evidence: Evidence; memory: MemoryGateway }> {
  const memory = memoryGateway({ images: inventory, ...spec });
  const evidence = await gatherEvidence(candidates, indexLineage(inventory), contextOf(memory, shouldStop?.(memory)), options);
  return { evidence, memory };
}

const idsOf = (memory: MemoryGateway, name: string): string[][] => memory.calls.filter((c) => c.name === name).map((c) => [c.region, ...c.ids]);

describe('gatherInventory', () => {
  it('records a region whose listing failed and keeps the images of the others', async () => {
    const memory = memoryGateway({
      images: [image(id(1)), image(id(2), { region: 'eu-west-1' }), image(id(3), { region: 'ap-south-1' })],
      fail: (call) => (call.region === 'eu-west-1' ? awsError('UnauthorizedOperation', 'not allowed in eu-west-1') : undefined),
    });
    const context = contextOf(memory);
    const inventory = await gatherInventory(['us-east-1', 'eu-west-1', 'ap-south-1'], context);
    expect(inventory.images.map((i) => i.imageId).sort()).toEqual([id(1), id(3)]);
    expect([...inventory.failedRegions]).toEqual([['eu-west-1', 'UnauthorizedOperation: not allowed in eu-west-1']]);
    expect(context.messages).toContain('eu-west-1: listing images failed: UnauthorizedOperation: not allowed in eu-west-1');
    expect(context.messages).toContain('us-east-1: 1 owned images');
  });
});

describe('references: candidates and their descendants, in batches', () => {
  it('asks for the references of every candidate and descendant in batches of 10 per region, and files each answer under its image', async () => {
    const candidates = Array.from({ length: 12 }, (_, n) => image(id(n + 1)));
    // a copy of the first candidate in eu-west-1, and a copy of that copy: descendants, not candidates
    const copy = image(id(100), { region: 'eu-west-1', sourceImageId: id(1), sourceImageRegion: 'us-east-1' });
    const copyOfCopy = image(id(101), { region: 'eu-west-1', sourceImageId: id(100) });
    const unrelated = image(id(200));
    const inventory = [...candidates, copy, copyOfCopy, unrelated];
    const { evidence, memory } = await gather(inventory, candidates, {
      references: { [key(candidates[2])]: [ref(id(3))], [key(copyOfCopy)]: [ref(id(101), 'ec2:LaunchTemplate', 'arn:lt')] },
    });
    const batches = idsOf(memory, 'DescribeImageReferences');
    expect(batches).toHaveLength(3);
    expect(batches).toContainEqual(['us-east-1', ...candidates.slice(0, 10).map((c) => c.imageId)]);
    expect(batches).toContainEqual(['us-east-1', id(11), id(12)]);
    expect(batches).toContainEqual(['eu-west-1', id(100), id(101)]);
    expect(batches.flat()).not.toContain(id(200));
    expect(evidence.references.size).toBe(14);
    expect(evidence.references.get(key(candidates[2]))).toEqual(completed([ref(id(3))]));
    expect(evidence.references.get(key(candidates[3]))).toEqual(completed([]));
    expect(evidence.references.get(key(copyOfCopy))).toEqual(completed([ref(id(101), 'ec2:LaunchTemplate', 'arn:lt')]));
  });
});

describe('checkReferences', () => {
  const vanished = (missing: string): MemorySpec['fail'] => (call) =>
    call.name === 'DescribeImageReferences' && call.ids.includes(missing) ? awsError('InvalidAMIID.NotFound', `The image id '[${missing}]' does not exist`) : undefined;

  it('falls back to one call per image when an image of the batch vanished, and records the vanished one as failed', async () => {
    const memory = memoryGateway({ references: { [`us-east-1/${id(1)}`]: [ref(id(1))] }, fail: vanished(id(2)) });
    const into = new Map<string, CheckResult<readonly ImageReference[]>>();
    await checkReferences(memory.gateway, 'us-east-1', [id(1), id(2), id(3)], into);
    expect(idsOf(memory, 'DescribeImageReferences')).toEqual([
      ['us-east-1', id(1), id(2), id(3)],
      ['us-east-1', id(1)],
      ['us-east-1', id(2)],
      ['us-east-1', id(3)],
    ]);
    expect(into.get(`us-east-1/${id(1)}`)).toEqual(completed([ref(id(1))]));
    expect(into.get(`us-east-1/${id(2)}`)).toEqual(failed(`InvalidAMIID.NotFound: The image id '[${id(2)}]' does not exist`));
    expect(into.get(`us-east-1/${id(3)}`)).toEqual(completed([]));
  });

  it('records any other failure of a batch against every image of it, without retrying', async () => {
    const memory = memoryGateway({ fail: () => awsError('RequestLimitExceeded', 'Request limit exceeded.') });
    const into = new Map<string, CheckResult<readonly ImageReference[]>>();
    await checkReferences(memory.gateway, 'us-east-1', [id(1), id(2)], into);
    expect(memory.calls).toHaveLength(1);
    expect([...into]).toEqual([
      [`us-east-1/${id(1)}`, failed('RequestLimitExceeded: Request limit exceeded.')],
      [`us-east-1/${id(2)}`, failed('RequestLimitExceeded: Request limit exceeded.')],
    ]);
  });

  it('does not retry a single image that is not found', async () => {
    const memory = memoryGateway({ fail: vanished(id(1)) });
    const into = new Map<string, CheckResult<readonly ImageReference[]>>();
    await checkReferences(memory.gateway, 'us-east-1', [id(1)], into);
    expect(memory.calls).toHaveLength(1);
    expect(into.get(`us-east-1/${id(1)}`)?.ok).toBe(false);
  });
});

describe('per candidate: launch permissions and deregistration protection', () => {
  it('reads the launch permissions of each candidate (not of descendants), a failure recorded for its image only', async () => {
    const a = image(id(1));
    const b = image(id(2));
    const copy = image(id(3), { sourceImageId: id(1) });
    const { evidence, memory } = await gather([a, b, copy], [a, b], {
      permissions: { [key(a)]: [{ userId: '444455556666' }] },
      fail: (call) => (call.name === 'DescribeLaunchPermissions' && call.ids[0] === id(2) ? awsError('AccessDenied', 'no') : undefined),
    });
    expect(idsOf(memory, 'DescribeLaunchPermissions').sort()).toEqual([
      ['us-east-1', id(1)],
      ['us-east-1', id(2)],
    ]);
    expect(evidence.launchPermissions.get(key(a))).toEqual(completed([{ userId: '444455556666' }]));
    expect(evidence.launchPermissions.get(key(b))).toEqual(failed('AccessDenied: no'));
    expect(evidence.launchPermissions.has(key(copy))).toBe(false);
  });

  it('reads the protection only of candidates whose inventory record did not say', async () => {
    const said = image(id(1), { deregistrationProtection: 'disabled' });
    const unsaid = image(id(2), { deregistrationProtection: undefined });
    // what the gateway answers for the image the inventory could not describe fully
    const memory = memoryGateway({ images: [said, { ...unsaid, deregistrationProtection: 'enabled-with-cooldown' }] });
    const evidence = await gatherEvidence([said, unsaid], indexLineage([said, unsaid]), contextOf(memory));
    expect(idsOf(memory, 'DescribeDeregistrationProtection')).toEqual([['us-east-1', id(2)]]);
    expect([...evidence.protection]).toEqual([[key(unsaid), completed('enabled-with-cooldown')]]);
  });
});

describe('ancestry', () => {
  // root-ext (not owned, us-east-1) <- A (owned) <- B (owned copy of A in eu-west-1); C (owned) also made from root-ext;
  // D made from nothing; E made from other-ext in eu-west-1
  const A = image(id(1), { sourceImageId: 'ami-0e0e0e0e' });
  const B = image(id(2), { region: 'eu-west-1', sourceImageId: id(1), sourceImageRegion: 'us-east-1' });
  const C = image(id(3), { sourceImageId: 'ami-0e0e0e0e', sourceImageRegion: 'us-east-1' });
  const D = image(id(4));
  const E = image(id(5), { region: 'eu-west-1', sourceImageId: 'ami-0f0f0f0f' });
  const entry = (i: ImageRecord) => ({ imageId: i.imageId, region: i.region, owner: i.ownerId, name: i.name, creationDate: i.creationDate });
  const external = [
    { imageId: 'ami-0e0e0e0e', region: 'us-east-1', owner: 'amazon' },
    { imageId: 'ami-0a0a0a0a', region: 'us-east-1', owner: 'amazon' },
  ];

  it('asks GetImageAncestry once per distinct image outside the inventory, and joins it to each owned chain', async () => {
    const { evidence, memory } = await gather([A, B, C, D, E], [A, B, C, D, E], {
      ancestry: { [key(A)]: [{ imageId: id(1), region: 'us-east-1' }, ...external], [key(C)]: [{ imageId: id(3), region: 'us-east-1' }, ...external] },
    });
    const asked = idsOf(memory, 'GetImageAncestry');
    expect(asked).toHaveLength(2);
    expect(asked).toContainEqual(['eu-west-1', id(5)]);
    expect(asked.filter(([region, imageId]) => region === 'us-east-1' && (imageId === id(1) || imageId === id(3)))).toHaveLength(1);
    expect(evidence.lineage.get(key(A))).toEqual(completed([entry(A), ...external]));
    expect(evidence.lineage.get(key(B))).toEqual(completed([entry(B), entry(A), ...external]));
    expect(evidence.lineage.get(key(C))).toEqual(completed([entry(C), ...external]));
    expect(evidence.lineage.get(key(D))).toEqual(completed([entry(D)]));
    expect(evidence.lineage.get(key(E))).toEqual(completed([entry(E)]));
  });

  it('records a failed GetImageAncestry for every candidate whose chain goes through it', async () => {
    const { evidence } = await gather([A, B, C, D, E], [A, B, C, D, E], {
      fail: (call) => (call.name === 'GetImageAncestry' && call.region === 'us-east-1' ? awsError('InternalError', 'boom') : undefined),
    });
    for (const i of [A, B, C]) expect(evidence.lineage.get(key(i))).toEqual(failed('InternalError: boom'));
    expect(evidence.lineage.get(key(D))?.ok).toBe(true);
    expect(evidence.lineage.get(key(E))?.ok).toBe(true);
  });
});

describe('region-wide reads', () => {
  const a = image(id(1));
  const b = image(id(2));
  const copy = image(id(3), { region: 'eu-west-1', sourceImageId: id(1), sourceImageRegion: 'us-east-1' });

  it('lists each extra source once per region of a candidate or descendant, and the Recycle Bin rules once per region of a candidate', async () => {
    const rule = { ruleId: 'r-1', retentionDays: 7, available: true, resourceTags: [] };
    const { evidence, memory } = await gather([a, b, copy], [a, b], {
      sources: { 'eu-west-1': { 'ec2:SpotFleetRequest': [ref(id(3), 'ec2:SpotFleetRequest', 'arn:sfr')] } },
      rules: { 'us-east-1': [rule] },
    });
    const listed = idsOf(memory, 'ListSource');
    expect(listed).toHaveLength(EXTRA_SOURCES.length * 2);
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(listed.filter(([r]) => r === region).map(([, source]) => source).sort()).toEqual([...EXTRA_SOURCES].sort());
    }
    expect(idsOf(memory, 'ListRules')).toEqual([['us-east-1']]);
    expect(evidence.sources.get('eu-west-1')?.get('ec2:SpotFleetRequest')).toEqual(completed([ref(id(3), 'ec2:SpotFleetRequest', 'arn:sfr')]));
    expect(evidence.sources.get('us-east-1')?.get('batch:ComputeEnvironment')).toEqual(completed([]));
    expect([...evidence.recycleBin]).toEqual([['us-east-1', completed([rule])]]);
  });

  it('reads none of them when regionWide is false', async () => {
    const { evidence, memory } = await gather([a, b, copy], [a, b], {}, { usageReport: false, usageReportWaitMs: 0, regionWide: false });
    expect(memory.names('ListSource', 'ListRules')).toEqual([]);
    expect(evidence.sources.size).toBe(0);
    expect(evidence.recycleBin.size).toBe(0);
    expect(memory.names('DescribeImageReferences')).toHaveLength(2);
  });

  it('records a failed source or rule listing for its region only', async () => {
    const { evidence } = await gather([a, copy], [a], {
      fail: (call) =>
        (call.region === 'eu-west-1' && call.name === 'ListSource' && call.ids[0] === 'elasticmapreduce:Cluster') || call.name === 'ListRules'
          ? awsError('AccessDenied', call.name)
          : undefined,
    });
    expect(evidence.sources.get('eu-west-1')?.get('elasticmapreduce:Cluster')).toEqual(failed('AccessDenied: ListSource'));
    expect(evidence.sources.get('eu-west-1')?.get('ec2:SpotFleetRequest')).toEqual(completed([]));
    expect(evidence.sources.get('us-east-1')?.get('elasticmapreduce:Cluster')).toEqual(completed([]));
    expect([...evidence.recycleBin]).toEqual([['us-east-1', failed('AccessDenied: ListRules')]]);
  });
});

describe('shouldStop', () => {
  const a = image(id(1), { sourceImageId: 'ami-0e0e0e0e' });
  const b = image(id(2), { deregistrationProtection: undefined });
  const copy = image(id(3), { sourceImageId: id(2) });

  it('when it says stop, nothing is called and every image a check covered is recorded as not checked, with the check', async () => {
    const { evidence, memory } = await gather([a, b, copy], [a, b], {}, undefined, () => () => true);
    expect(memory.calls).toEqual([]);
    const message = 'not checked: the run stopped starting checks before its time limit';
    // the last check queued for each image is the one named
    expect(evidence.notChecked.get(key(a))).toEqual({ check: 'ancestry', message });
    expect(evidence.notChecked.get(key(b))).toEqual({ check: 'deregistration-protection', message });
    expect(evidence.notChecked.get(key(copy))).toEqual({ check: 'references', message });
    expect(evidence.references.size + evidence.launchPermissions.size + evidence.protection.size + evidence.sources.get('us-east-1')!.size).toBe(0);
    expect(evidence.recycleBin.size).toBe(0);
  });

  it('checks started before it says stop finish; none starts after', async () => {
    const { evidence, memory } = await gather([a, b, copy], [a, b], {}, undefined, (m) => () => m.calls.length >= 3);
    expect(memory.calls).toHaveLength(3);
    expect(memory.names()).toEqual(['ListSource', 'ListSource', 'ListSource']);
    expect([...evidence.sources.get('us-east-1')!.keys()]).toEqual(EXTRA_SOURCES.slice(0, 3));
    expect(evidence.notChecked.get(key(copy))?.check).toBe('references');
  });
});

describe('usage reports', () => {
  const pub = image(id(1), { public: true });
  const shared = image(id(2));
  const privateOne = image(id(3));
  const unknown = image(id(4));
  const spec: MemorySpec = {
    permissions: { [key(shared)]: [{ userId: '444455556666' }] },
    usage: { [key(shared)]: { status: 'ready', users: [{ accountId: '444455556666', resourceType: 'ec2:Instance', usageCount: 2 }] } },
    fail: (call) => (call.name === 'DescribeLaunchPermissions' && call.ids[0] === id(4) ? awsError('AccessDenied', 'no') : undefined),
  };

  it('runs one for each shared candidate (public, or with a launch permission) when on', async () => {
    const { evidence, memory } = await gather([pub, shared, privateOne, unknown], [pub, shared, privateOne, unknown], spec, {
      usageReport: true,
      usageReportWaitMs: 1000,
      usageReportPollMs: 10,
    });
    expect(idsOf(memory, 'ImageUsage').sort()).toEqual([
      ['us-east-1', id(1)],
      ['us-east-1', id(2)],
    ]);
    expect([...evidence.usage.keys()].sort()).toEqual([key(pub), key(shared)]);
    expect(evidence.usage.get(key(shared))).toEqual(completed(spec.usage?.[key(shared)]));
  });

  it('runs none when off', async () => {
    const { evidence, memory } = await gather([pub, shared], [pub, shared], spec);
    expect(memory.names('ImageUsage')).toEqual([]);
    expect(evidence.usage.size).toBe(0);
  });
});
