import {
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  GetImageAncestryCommand,
  Image,
  paginateDescribeImageReferences,
  paginateDescribeImages,
} from '@aws-sdk/client-ec2';
import { generateAccount, INSTANCE_STATES, startSandbox } from '../../sandbox';
import { ec2 } from './helpers';

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

  it('scales to 20000 images in a few seconds', () => {
    const t = Date.now();
    const { account, truth } = generateAccount({ seed: 1, images: 20000, regions: ['us-east-1', 'eu-west-1', 'us-west-2'] });
    expect(Date.now() - t).toBeLessThan(5000);
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
