import {
  DescribeImageReferencesCommand,
  EC2Client,
  ImageReference,
  paginateDescribeImageReferences,
} from '@aws-sdk/client-ec2';
import { AccountBuilder, INSTANCE_STATES, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { ec2, id, sdkError } from './helpers';

const ME = '111122223333';
const USED = id('ami', 1);
const OLD_IN_TEMPLATE = id('ami', 2);
const SSM = id('ami', 3);
const RECIPE = id('ami', 4);
const UNUSED = id('ami', 5);
const EU = id('ami', 6);
const LT = 'lt-0123456789abcdef0';

let sb: Sandbox;
let client: EC2Client;

beforeAll(async () => {
  const b = new AccountBuilder(ME);
  for (const n of [1, 2, 3, 4, 5]) b.image({ id: id('ami', n) });
  b.image({ id: EU, region: 'eu-west-1' });
  INSTANCE_STATES.forEach((state, i) => b.instance({ id: id('i', i + 1), imageId: USED, state }));
  b.instance({ id: id('i', 99), imageId: EU, region: 'eu-west-1' });
  // 30 versions: version 3 names OLD_IN_TEMPLATE (and is the $Default), the last 10 name USED.
  b.launchTemplate({
    id: LT,
    name: 'web',
    versions: Array.from({ length: 30 }, (_, i) => (i + 1 === 3 ? OLD_IN_TEMPLATE : i + 1 > 20 ? USED : undefined)),
    defaultVersion: 3,
  });
  b.ssmParameter({ name: '/golden/web', value: SSM });
  b.imageRecipe({ name: 'web-recipe', version: '1.2.0', parentImage: RECIPE });
  b.containerRecipe({ name: 'svc-container', parentImage: RECIPE });
  sb = await startSandbox(b);
  client = ec2(sb);
});

afterAll(async () => {
  client.destroy();
  await sb.stop();
});

const refs = async (input: ConstructorParameters<typeof DescribeImageReferencesCommand>[0]): Promise<ImageReference[]> =>
  (await client.send(new DescribeImageReferencesCommand(input))).ImageReferences ?? [];

describe('DescribeImageReferences', () => {
  it('finds instances in every state, templates within depth, SSM parameters and recipes', async () => {
    const r = await refs({ ImageIds: [USED, OLD_IN_TEMPLATE, SSM, RECIPE, UNUSED], IncludeAllResourceTypes: true });
    const byType = (t: string): string[] => r.filter((x) => x.ResourceType === t).map((x) => `${x.ImageId} ${x.Arn}`);
    expect(byType('ec2:Instance')).toEqual(
      INSTANCE_STATES.map((_, i) => `${USED} arn:aws:ec2:us-east-1:${ME}:instance/${id('i', i + 1)}`),
    );
    // default version-depth 10: only the 10 most recent versions (21..30) count
    expect(byType('ec2:LaunchTemplate')).toEqual([`${USED} arn:aws:ec2:us-east-1:${ME}:launch-template/${LT}`]);
    expect(byType('ssm:Parameter')).toEqual([`${SSM} arn:aws:ssm:us-east-1:${ME}:parameter/golden/web`]);
    expect(byType('imagebuilder:ImageRecipe')).toEqual([
      `${RECIPE} arn:aws:imagebuilder:us-east-1:${ME}:image-recipe/web-recipe/1.2.0`,
    ]);
    expect(byType('imagebuilder:ContainerRecipe')).toEqual([
      `${RECIPE} arn:aws:imagebuilder:us-east-1:${ME}:container-recipe/svc-container/1.0.0`,
    ]);
    expect(r.some((x) => x.ImageId === UNUSED)).toBe(false);
  });

  it('honours version-depth (1..10000) counted from the highest version', async () => {
    const at = (depth: string): Promise<ImageReference[]> =>
      refs({
        ImageIds: [OLD_IN_TEMPLATE, USED],
        ResourceTypes: [{ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [depth] }] }],
      });
    expect((await at('27')).map((x) => x.ImageId)).toEqual([USED]);
    expect((await at('28')).map((x) => x.ImageId).sort()).toEqual([USED, OLD_IN_TEMPLATE].sort());
    expect((await at('10000')).map((x) => x.ImageId).sort()).toEqual([USED, OLD_IN_TEMPLATE].sort());
    for (const bad of ['0', '10001', 'x']) {
      const e = await sdkError(() => at(bad));
      expect(e).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    }
  });

  it('filters instances by state-name', async () => {
    const r = await refs({
      ImageIds: [USED],
      ResourceTypes: [
        { ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['stopped', 'terminated'] }] },
      ],
    });
    expect(r.map((x) => x.Arn?.split('/')[1])).toEqual([id('i', 4), id('i', 6)]);
    const bad = await sdkError(() =>
      refs({
        ImageIds: [USED],
        ResourceTypes: [{ ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['dead'] }] }],
      }),
    );
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('returns only the requested resource types', async () => {
    const r = await refs({ ImageIds: [USED, SSM], ResourceTypes: [{ ResourceType: 'ssm:Parameter' }] });
    expect(r.map((x) => x.ResourceType)).toEqual(['ssm:Parameter']);
  });

  it('is regional', async () => {
    const eu = ec2(sb, { region: 'eu-west-1' });
    try {
      const r = await eu.send(new DescribeImageReferencesCommand({ ImageIds: [EU], IncludeAllResourceTypes: true }));
      expect(r.ImageReferences?.map((x) => x.Arn)).toEqual([`arn:aws:ec2:eu-west-1:${ME}:instance/${id('i', 99)}`]);
      const e = await sdkError(() => client.send(new DescribeImageReferencesCommand({ ImageIds: [EU], IncludeAllResourceTypes: true })));
      expect(e.name).toBe('InvalidAMIID.NotFound');
    } finally {
      eu.destroy();
    }
  });

  it('validates image IDs and resource types', async () => {
    const ids11 = Array.from({ length: 11 }, (_, i) => id('ami', i + 1));
    expect(await sdkError(() => refs({ ImageIds: ids11, IncludeAllResourceTypes: true }))).toMatchObject({
      name: 'InvalidParameterValue',
      status: 400,
    });
    expect((await sdkError(() => refs({ ImageIds: [id('ami', 0xdead)], IncludeAllResourceTypes: true }))).name).toBe(
      'InvalidAMIID.NotFound',
    );
    expect((await sdkError(() => refs({ ImageIds: ['ami-nope'], IncludeAllResourceTypes: true }))).name).toBe(
      'InvalidAMIID.Malformed',
    );
    expect((await sdkError(() => refs({ ImageIds: [USED] }))).name).toBe('InvalidParameterCombination');
    expect((await sdkError(() => refs({ ImageIds: [USED], ResourceTypes: [{ ResourceType: 'ec2:Volume' as 'ec2:Instance' }] }))).name).toBe(
      'InvalidParameterValue',
    );
    expect((await sdkError(() => refs({ ImageIds: [USED], IncludeAllResourceTypes: true, MaxResults: 4 }))).name).toBe(
      'InvalidParameterValue',
    );
  });

  it('pages with MaxResults and NextToken; a token is bound to its request', async () => {
    const seen: ImageReference[] = [];
    let pages = 0;
    for await (const page of paginateDescribeImageReferences(
      { client, pageSize: 5 },
      { ImageIds: [USED, SSM, RECIPE], IncludeAllResourceTypes: true },
    )) {
      pages += 1;
      seen.push(...(page.ImageReferences ?? []));
    }
    // 6 instances + 1 template + 1 parameter + 2 recipes
    expect(seen).toHaveLength(10);
    expect(pages).toBe(2);
    const first = await client.send(
      new DescribeImageReferencesCommand({ ImageIds: [USED], IncludeAllResourceTypes: true, MaxResults: 5 }),
    );
    expect(first.NextToken).toEqual(expect.any(String));
    const reused = await sdkError(() =>
      client.send(
        new DescribeImageReferencesCommand({ ImageIds: [SSM], IncludeAllResourceTypes: true, MaxResults: 5, NextToken: first.NextToken }),
      ),
    );
    expect(reused).toMatchObject({ name: 'InvalidPaginationToken', status: 400 });
  });

  it('sees changes made through sandbox.state', async () => {
    expect(await refs({ ImageIds: [UNUSED], IncludeAllResourceTypes: true })).toEqual([]);
    sb.state.instances.push({ instanceId: id('i', 500), region: 'us-east-1', imageId: UNUSED, state: 'pending' });
    expect((await refs({ ImageIds: [UNUSED], IncludeAllResourceTypes: true })).map((r) => r.ResourceType)).toEqual(['ec2:Instance']);
    sb.state.instances.pop();
  });
});
