import {
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  GetImageAncestryCommand,
  Image,
  paginateDescribeImageReferences,
  paginateDescribeImages,
} from '@aws-sdk/client-ec2';
import { AutoScalingClient, paginateDescribeLaunchConfigurations } from '@aws-sdk/client-auto-scaling';
import { BatchClient, paginateDescribeComputeEnvironments } from '@aws-sdk/client-batch';
import { paginateDescribeSpotFleetRequests } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EMRClient, paginateListClusters } from '@aws-sdk/client-emr';
import { AccountBuilder, computeTruth, generateAccount, INSTANCE_STATES, launchConfigurationArn, startSandbox } from '../../sandbox';
import { ec2, must } from './helpers';

const NOW = new Date('2026-01-01T00:00:00Z');
const DAY = 86_400_000;

describe('generateAccount', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateAccount({ seed: 42, images: 200 });
    const b = generateAccount({ seed: 42, images: 200 });
    const c = generateAccount({ seed: 43, images: 200 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('makes a realistic account', () => {
    const { account, truth } = generateAccount({ seed: 3, images: 2000, regions: ['us-east-1', 'eu-west-1', 'ap-south-1'] });
    const owned = account.images.filter((i) => i.ownerId === account.accountId);
    expect(owned).toHaveLength(2000);
    expect(Object.keys(truth)).toHaveLength(2000);
    const foreign = account.images.filter((i) => i.ownerId !== account.accountId);
    expect(foreign.every((i) => i.ownerAlias === 'amazon' && i.public)).toBe(true);
    // ages and last launches make every owned image a candidate under a permissive policy
    for (const img of owned) {
      const age = (NOW.getTime() - Date.parse(img.creationDate)) / DAY;
      expect(age).toBeGreaterThanOrEqual(60);
      expect(age).toBeLessThanOrEqual(901);
      if (img.lastLaunchedTime) expect(NOW.getTime() - Date.parse(img.lastLaunchedTime)).toBeGreaterThanOrEqual(60 * DAY);
    }
    // lineage: rooted at Amazon images, cross-region copies
    const byId = new Map(account.images.map((i) => [i.imageId, i]));
    expect(owned.every((i) => i.sourceImageId && byId.has(i.sourceImageId))).toBe(true);
    expect(owned.some((i) => i.sourceImageRegion !== i.region)).toBe(true);
    expect(owned.some((i) => /-\d{4}-\d\d-\d\d-\d+$/.test(i.name))).toBe(true);
    expect(owned.some((i) => /^base-.*-v\d+$/.test(i.name))).toBe(true);
    expect(owned.some((i) => i.deprecationTime)).toBe(true);
    expect(owned.some((i) => i.state === 'disabled')).toBe(true);
    expect(owned.some((i) => i.deregistrationProtection !== 'disabled')).toBe(true);
    expect(owned.some((i) => i.public)).toBe(true);
    for (const key of ['userId', 'organizationArn', 'organizationalUnitArn'] as const) {
      expect(owned.some((i) => i.launchPermissions.some((p) => p[key]))).toBe(true);
    }
    expect(new Set(account.instances.map((i) => i.state))).toEqual(new Set(INSTANCE_STATES));
    expect(account.launchTemplates.some((t) => t.versions.length >= 30 && t.defaultVersion < t.versions.length - 10)).toBe(true);
    expect(account.ssmParameters.length).toBeGreaterThan(0);
    expect(account.recipes.some((r) => r.kind === 'image')).toBe(true);
    expect(account.recipes.some((r) => r.kind === 'container')).toBe(true);
    const blocked = Object.values(truth).filter((t) => t.expected === 'blocked').length;
    expect(blocked / 2000).toBeGreaterThan(0.12);
    expect(blocked / 2000).toBeLessThan(0.35);
    const reasons = Object.values(truth).flatMap((t) => t.why.map((w) => w.split(' ')[0]));
    expect(new Set(reasons)).toEqual(new Set(['referenced', 'ancestor-of-in-use', 'shared', 'deregistration-protected']));
    expect(Object.values(truth).every((t) => (t.expected === 'safe') === (t.why.length === 0))).toBe(true);
  });

  it('uses launch configurations, Batch, Spot Fleet and EMR as evidence, some images only through them', () => {
    const { account, truth } = generateAccount({ seed: 5, images: 2000, regions: ['us-east-1', 'eu-west-1'] });
    const types = (imageId: string): string[] =>
      (truth[imageId]?.why ?? []).filter((w) => w.startsWith('referenced ')).map((w) => w.split(' ')[1] as string);
    const onlyBy = (type: string): string[] =>
      Object.keys(truth).filter((i) => {
        const t = types(i);
        return t.length > 0 && t.every((x) => x === type);
      });
    for (const type of ['autoscaling:LaunchConfiguration', 'batch:ComputeEnvironment', 'ec2:SpotFleetRequest', 'elasticmapreduce:Cluster']) {
      const only = onlyBy(type);
      expect({ type, n: only.length > 0 }).toEqual({ type, n: true });
      for (const imageId of only) expect(truth[imageId]?.expected).toBe('blocked');
    }
    const lcs = account.launchConfigurations ?? [];
    const lc = lcs.find((x) => truth[x.imageId]);
    expect(truth[lc?.imageId ?? '']?.why).toContain(`referenced autoscaling:LaunchConfiguration ${launchConfigurationArn(account.accountId, must(lc))}`);
    // a Batch image only in an ec2Configuration override
    const ces = account.batchComputeEnvironments ?? [];
    expect(ces.some((ce) => ce.imageId === undefined && ce.imageIdOverrides.some((i) => types(i).includes('batch:ComputeEnvironment')))).toBe(true);
    // ended fleets and clusters are in the account but do not count
    const fleets = account.spotFleetRequests ?? [];
    const clusters = account.emrClusters ?? [];
    expect(fleets.some((f) => f.state === 'active')).toBe(true);
    expect(fleets.some((f) => f.state === 'cancelled')).toBe(true);
    for (const f of fleets.filter((x) => ['cancelled', 'cancelled_terminating', 'failed'].includes(x.state))) {
      for (const i of f.imageIds) expect(types(i)).not.toContain('ec2:SpotFleetRequest');
    }
    expect(clusters.some((c) => c.state === 'TERMINATED' && c.customAmiId)).toBe(true);
    expect(clusters.some((c) => !c.customAmiId)).toBe(true);
    for (const c of clusters.filter((x) => x.state.startsWith('TERMINATED') && x.customAmiId)) {
      expect(types(c.customAmiId as string)).not.toContain('elasticmapreduce:Cluster');
    }
    // their ancestors are blocked too: some image used only by a cluster has an owned source
    const sourceOf = (imageId: string): string => account.images.find((i) => i.imageId === imageId)?.sourceImageId ?? '';
    const used = onlyBy('elasticmapreduce:Cluster').find((imageId) => truth[sourceOf(imageId)] !== undefined);
    expect(used).toBeDefined();
    expect(truth[sourceOf(must(used))]?.why).toContain(`ancestor-of-in-use ${must(used)} ${truth[must(used)]?.region}`);
    const rules = account.recycleBinRules ?? [];
    expect(rules.some((r) => r.resourceTags.length === 0 && r.resourceType === 'EC2_IMAGE')).toBe(true);
    expect(rules.some((r) => r.resourceTags.length > 0)).toBe(true);
    expect((account.imageUsage ?? []).length).toBeGreaterThan(0);
  });

  it('blocks an image used only by a launch configuration, and its ancestors', () => {
    const account = new AccountBuilder('111122223333')
      .image({ id: 'ami-0000000000000000a' })
      .image({ id: 'ami-0000000000000000b', sourceImageId: 'ami-0000000000000000a' })
      .launchConfiguration({ name: 'legacy', imageId: 'ami-0000000000000000b' })
      .image({ id: 'ami-0000000000000000c' })
      .launchConfiguration({ name: 'other-region', region: 'eu-west-1', imageId: 'ami-0000000000000000c' })
      .spotFleetRequest({ state: 'cancelled', imageIds: ['ami-0000000000000000c'] })
      .emrCluster({ state: 'TERMINATED', customAmiId: 'ami-0000000000000000c' })
      .build();
    const truth = computeTruth(account);
    const lc = account.launchConfigurations?.[0];
    expect(truth['ami-0000000000000000b']).toEqual({
      region: 'us-east-1',
      expected: 'blocked',
      why: [`referenced autoscaling:LaunchConfiguration ${launchConfigurationArn('111122223333', must(lc))}`],
    });
    expect(truth['ami-0000000000000000a']?.why).toEqual(['ancestor-of-in-use ami-0000000000000000b us-east-1']);
    expect(truth['ami-0000000000000000c']?.expected).toBe('safe');
  });

  it('scales to 20000 images', () => {
    const { account, truth } = generateAccount({ seed: 1, images: 20000, regions: ['us-east-1', 'eu-west-1', 'us-west-2'] });
    expect(Object.keys(truth)).toHaveLength(20000);
    expect(account.images.length).toBeGreaterThan(20000);
  });

  it('agrees with what the real SDK finds in the sandbox (ground truth)', async () => {
    const regions = ['us-east-1', 'eu-west-1'];
    const gen = generateAccount({ seed: 11, images: 300, regions });
    const sb = await startSandbox(gen.account, { clock: () => NOW });
    const blocked = new Map<string, Set<string>>();
    const block = (imageId: string, code: string): void => {
      const s = blocked.get(imageId) ?? new Set<string>();
      s.add(code);
      blocked.set(imageId, s);
    };
    try {
      const inventory = new Map<string, Image & { region: string }>();
      for (const region of regions) {
        const c = ec2(sb, { region });
        for await (const page of paginateDescribeImages(
          { client: c, pageSize: 1000 },
          { Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true },
        )) {
          for (const img of page.Images ?? []) inventory.set(img.ImageId ?? '', { ...img, region });
        }
        c.destroy();
      }
      expect(inventory.size).toBe(300);
      const used: (Image & { region: string })[] = [];
      for (const region of regions) {
        const c = ec2(sb, { region });
        const ids = [...inventory.values()].filter((i) => i.region === region).map((i) => i.ImageId ?? '');
        for (let i = 0; i < ids.length; i += 10) {
          const seen = new Set<string>();
          for await (const page of paginateDescribeImageReferences(
            { client: c, pageSize: 1000 },
            {
              ImageIds: ids.slice(i, i + 10),
              IncludeAllResourceTypes: true,
              ResourceTypes: [
                { ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['10000'] }] },
              ],
            },
          )) {
            for (const r of page.ImageReferences ?? []) seen.add(r.ImageId ?? '');
          }
          for (const imageId of seen) {
            block(imageId, 'referenced');
            used.push(inventory.get(imageId) as Image & { region: string });
          }
        }
        for (const img of [...inventory.values()].filter((x) => x.region === region)) {
          if (img.DeregistrationProtection !== 'disabled') block(img.ImageId ?? '', 'deregistration-protected');
          const perms = await c.send(new DescribeImageAttributeCommand({ ImageId: img.ImageId, Attribute: 'launchPermission' }));
          if ((perms.LaunchPermissions ?? []).length > 0) block(img.ImageId ?? '', 'shared');
        }
        c.destroy();
      }
      // evidence beyond DescribeImageReferences
      for (const region of regions) {
        const cfg = { endpoint: sb.url, region, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 };
        const named = new Set<string>();
        const as = new AutoScalingClient(cfg);
        for await (const p of paginateDescribeLaunchConfigurations({ client: as }, {})) {
          for (const lc of p.LaunchConfigurations ?? []) named.add(lc.ImageId ?? '');
        }
        as.destroy();
        const batch = new BatchClient(cfg);
        for await (const p of paginateDescribeComputeEnvironments({ client: batch }, {})) {
          for (const ce of p.computeEnvironments ?? []) {
            if (ce.computeResources?.imageId) named.add(ce.computeResources.imageId);
            for (const e of ce.computeResources?.ec2Configuration ?? []) if (e.imageIdOverride) named.add(e.imageIdOverride);
          }
        }
        batch.destroy();
        const c = ec2(sb, { region });
        for await (const p of paginateDescribeSpotFleetRequests({ client: c, pageSize: 100 }, {})) {
          for (const f of p.SpotFleetRequestConfigs ?? []) {
            if (['cancelled', 'cancelled_terminating', 'failed'].includes(f.SpotFleetRequestState ?? '')) continue;
            for (const s of f.SpotFleetRequestConfig?.LaunchSpecifications ?? []) named.add(s.ImageId ?? '');
          }
        }
        c.destroy();
        const emr = new EMRClient(cfg);
        for await (const p of paginateListClusters({ client: emr }, { ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING', 'TERMINATING'] })) {
          for (const cl of p.Clusters ?? []) {
            const d = await emr.send(new DescribeClusterCommand({ ClusterId: cl.Id }));
            if (d.Cluster?.CustomAmiId) named.add(d.Cluster.CustomAmiId);
          }
        }
        emr.destroy();
        for (const imageId of named) {
          const img = inventory.get(imageId);
          if (img && img.region === region) {
            block(imageId, 'referenced');
            used.push(img);
          }
        }
      }
      // ancestors: follow SourceImageId through the inventory; GetImageAncestry where it leaves it
      for (const u of used) {
        let cur = u;
        while (cur.SourceImageId) {
          const next = inventory.get(cur.SourceImageId);
          if (!next) {
            const c = ec2(sb, { region: cur.SourceImageRegion ?? cur.region });
            const anc = await c.send(new GetImageAncestryCommand({ ImageId: cur.SourceImageId }));
            c.destroy();
            for (const e of anc.ImageAncestryEntries ?? []) if (inventory.has(e.ImageId ?? '')) block(e.ImageId ?? '', 'ancestor-of-in-use');
            break;
          }
          block(next.ImageId ?? '', 'ancestor-of-in-use');
          cur = next;
        }
      }
      for (const [imageId, t] of Object.entries(gen.truth)) {
        const codes = [...new Set(t.why.map((w) => w.split(' ')[0]))].sort();
        expect({ imageId, codes }).toEqual({ imageId, codes: [...(blocked.get(imageId) ?? [])].sort() });
      }
      // the depth matters: some template reference lies beyond the 10 most recent versions
      const c = ec2(sb, { region: 'us-east-1' });
      const deep = gen.account.launchTemplates.find((lt) => {
        const v = lt.versions.find((x) => x.imageId && gen.truth[x.imageId]);
        return lt.region === 'us-east-1' && v && v.versionNumber <= lt.versions.length - 10;
      });
      if (deep) {
        const imageId = deep.versions.find((x) => x.imageId && gen.truth[x.imageId])?.imageId as string;
        const shallow = await c.send(
          new DescribeImageReferencesCommand({ ImageIds: [imageId], ResourceTypes: [{ ResourceType: 'ec2:LaunchTemplate' }] }),
        );
        expect(shallow.ImageReferences ?? []).toEqual([]);
      }
      c.destroy();
    } finally {
      await sb.stop();
    }
  });
});
