import {
  AMAZON_OWNER_ID,
  batchComputeEnvironmentArn,
  deterministicHex,
  deterministicUuid,
  emrClusterArn,
  emrClusterId,
  instanceArn,
  launchConfigurationArn,
  launchTemplateArn,
  recipeArn,
  recycleBinRuleId,
  spotFleetRequestArn,
  ssmParameterArn,
} from './builder';
import type {
  BatchComputeEnvironmentRecord,
  BlockDevice,
  EmrClusterRecord,
  EmrClusterState,
  ImageUsageRecord,
  LaunchConfigurationRecord,
  RecycleBinRuleRecord,
  SpotFleetRequestRecord,
  SpotFleetRequestState,
  DeregistrationProtection,
  ImageRecord,
  InstanceRecord,
  LaunchPermission,
  LaunchTemplateRecord,
  RecipeRecord,
  SandboxAccount,
  SnapshotRecord,
  SsmParameterRecord,
} from './types';
import { INSTANCE_STATES } from './types';

export interface GeneratorOptions {
  seed: number;
  /** Number of images the account owns. */
  images: number;
  /** Default `['us-east-1', 'eu-west-1']`. */
  regions?: string[];
  /** Default `111122223333`. */
  accountId?: string;
  /** Reference time (creation dates are 60..900 days before it); default 2026-01-01T00:00:00Z. */
  now?: Date;
}

/** What a correct ami-guard must conclude about one owned image. */
export interface GroundTruth {
  region: string;
  expected: 'safe' | 'blocked';
  /**
   * Every reason, each starting with a reason code of the design:
   * `referenced <resourceType> <arn>`, `ancestor-of-in-use <imageId> <region>`,
   * `shared <public|account ID|organization or OU ARN>`, `deregistration-protected <value>`.
   */
  why: string[];
}

export interface GeneratedAccount {
  account: SandboxAccount;
  /** Ground truth for every owned image, by image ID. */
  truth: Record<string, GroundTruth>;
  /** The report topic (in the first region) and bucket the account holds. */
  topicArn: string;
  bucket: string;
}

/** sfc32: a small, fast, seedable PRNG. */
function prng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
  let c = 0xb7e15162;
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i += 1) next();
  return next;
}

const DAY = 86_400_000;
const BASE_FAMILIES = ['base-al2023', 'base-al2', 'base-ubuntu-22.04', 'base-ubuntu-24.04', 'base-rhel9', 'base-windows-2022'];
const APP_FAMILIES = [
  'web-server',
  'api-gateway',
  'worker',
  'batch-runner',
  'ci-agent',
  'bastion',
  'kafka-broker',
  'postgres-replica',
  'ml-inference',
  'nginx-edge',
  'payments-service',
  'search-node',
];
const OTHER_ACCOUNTS = ['444455556666', '777788889999', '222233334444'];
const ORG_ARN = 'arn:aws:organizations::111111111111:organization/o-exampleorg1';
const OU_ARN = 'arn:aws:organizations::111111111111:ou/o-exampleorg1/ou-ab12-cdef3456';

interface Family {
  name: string;
  region: string;
  /** Name style: dated (`web-server-2024-05-01`) or versioned (`base-al2023-v12`). */
  dated: boolean;
  parent?: Family;
  members: ImageRecord[];
  version: number;
}

/**
 * Generates a realistic account deterministically from `seed` and a size, with the ground
 * truth for every owned image. Scales linearly (20000 images in well under a few seconds).
 */
export function generateAccount(options: GeneratorOptions): GeneratedAccount {
  const rand = prng(options.seed);
  const regions = options.regions && options.regions.length > 0 ? options.regions : ['us-east-1', 'eu-west-1'];
  const accountId = options.accountId ?? '111122223333';
  const now = (options.now ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const total = Math.max(0, Math.floor(options.images));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const chance = (p: number): boolean => rand() < p;
  let counter = 0;
  const id = (prefix: string): string => {
    counter += 1;
    return `${prefix}-${deterministicHex(17, options.seed, accountId, counter)}`;
  };

  const images: ImageRecord[] = [];
  const snapshots: SnapshotRecord[] = [];
  const byId = new Map<string, ImageRecord>();

  const addImage = (img: ImageRecord): void => {
    images.push(img);
    byId.set(img.imageId, img);
  };

  // Amazon-owned roots: a few per region, public, some with their own (Amazon) ancestry.
  const roots = new Map<string, ImageRecord[]>();
  for (const region of regions) {
    const list: ImageRecord[] = [];
    for (let i = 0; i < 4; i += 1) {
      const created = new Date(now - (950 + Math.floor(rand() * 400)) * DAY).toISOString();
      const distro = ['al2023-ami-2023.4', 'al2-ami-hvm-2.0', 'ubuntu-jammy-22.04', 'Windows_Server-2022'][i] as string;
      const img: ImageRecord = {
        imageId: id('ami'),
        region,
        ownerId: AMAZON_OWNER_ID,
        ownerAlias: 'amazon',
        name: `${distro}.${20240000 + i * 101}.0-x86_64`,
        description: `Amazon-provided image ${distro}`,
        creationDate: created,
        state: 'available',
        public: true,
        tags: [],
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            snapshotId: id('snap'),
            volumeSize: 8,
            volumeType: 'gp3',
            deleteOnTermination: true,
            encrypted: false,
          },
        ],
        deregistrationProtection: 'disabled',
        launchPermissions: [],
        architecture: 'x86_64',
        rootDeviceName: '/dev/xvda',
      };
      const prev = list[list.length - 1];
      if (prev && chance(0.5)) {
        img.sourceImageId = prev.imageId;
        img.sourceImageRegion = region;
      }
      addImage(img);
      list.push(img);
    }
    roots.set(region, list);
  }

  // Families: base images (from Amazon roots) and app images (from a base family).
  const familyCount = Math.max(1, Math.round(total / 14));
  const families: Family[] = [];
  const baseCount = Math.max(1, Math.round(familyCount * 0.3));
  for (let f = 0; f < familyCount; f += 1) {
    const isBase = f < baseCount;
    const region = pick(regions);
    const stem = isBase ? pick(BASE_FAMILIES) : pick(APP_FAMILIES);
    const parent = isBase ? undefined : (families[Math.floor(rand() * baseCount)] as Family);
    families.push({
      name: `${stem}${f >= BASE_FAMILIES.length + APP_FAMILIES.length ? `-${f}` : ''}`,
      region,
      dated: !isBase && chance(0.7),
      ...(parent ? { parent } : {}),
      members: [],
      version: 0,
    });
  }

  const newSnapshots = (region: string, imageId: string, created: string): BlockDevice[] => {
    const n = chance(0.25) ? 2 : 1;
    const out: BlockDevice[] = [];
    for (let i = 0; i < n; i += 1) {
      const size = i === 0 ? pick([8, 16, 30, 50]) : pick([20, 100, 200]);
      const snapshotId = id('snap');
      snapshots.push({
        snapshotId,
        region,
        ownerId: accountId,
        volumeSize: size,
        startTime: created,
        description: `Created by CreateImage for ${imageId}`,
        tags: [],
        encrypted: chance(0.3),
      });
      out.push({
        deviceName: i === 0 ? '/dev/xvda' : '/dev/sdb',
        snapshotId,
        volumeSize: size,
        volumeType: 'gp3',
        deleteOnTermination: true,
        encrypted: false,
      });
    }
    return out;
  };

  const owned: ImageRecord[] = [];
  const familyOf = new Map<ImageRecord, Family>();
  const makeOwned = (fam: Family, region: string, created: number, source: ImageRecord | undefined, name?: string): ImageRecord => {
    const imageId = id('ami');
    const createdIso = new Date(created).toISOString();
    fam.version += 1;
    const stamp = new Date(created).toISOString().slice(0, 10);
    const img: ImageRecord = {
      imageId,
      region,
      ownerId: accountId,
      name: name ?? (fam.dated ? `${fam.name}-${stamp}-${fam.version}` : `${fam.name}-v${fam.version}`),
      description: `${fam.name} build ${fam.version}`,
      creationDate: createdIso,
      state: 'available',
      public: false,
      tags: [
        { key: 'Family', value: fam.name },
        { key: 'Team', value: pick(['platform', 'payments', 'data', 'web']) },
      ],
      blockDevices: newSnapshots(region, imageId, createdIso),
      deregistrationProtection: 'disabled',
      launchPermissions: [],
      architecture: chance(0.2) ? 'arm64' : 'x86_64',
      rootDeviceName: '/dev/xvda',
    };
    if (source) {
      img.sourceImageId = source.imageId;
      img.sourceImageRegion = source.region;
    }
    if (chance(0.6)) {
      const last = created + Math.floor(rand() * Math.max(1, now - 60 * DAY - created));
      img.lastLaunchedTime = new Date(Math.min(last, now - 60 * DAY)).toISOString();
    }
    addImage(img);
    owned.push(img);
    fam.members.push(img);
    familyOf.set(img, fam);
    return img;
  };

  const ageMs = (): number => (60 + Math.floor(rand() * 840)) * DAY + Math.floor(rand() * DAY);
  while (owned.length < total) {
    // A cross-region copy of an existing owned image, now and then.
    if (regions.length > 1 && owned.length > 5 && chance(0.08)) {
      const src = owned[Math.floor(rand() * owned.length)] as ImageRecord;
      const other = regions.filter((r) => r !== src.region);
      const region = pick(other);
      const created = Math.min(Date.parse(src.creationDate) + (1 + Math.floor(rand() * 20)) * DAY, now - 60 * DAY);
      const fam = familyOf.get(src) as Family;
      fam.version -= 1;
      makeOwned(fam, region, created, src, src.name);
      continue;
    }
    const fam = families[Math.floor(rand() * families.length)] as Family;
    let source: ImageRecord | undefined;
    if (fam.parent && fam.parent.members.length > 0) source = pick(fam.parent.members);
    else if (fam.members.length > 0 && chance(0.5)) source = pick(fam.members);
    else source = pick(roots.get(fam.region) as ImageRecord[]);
    const minCreated = source ? Date.parse(source.creationDate) + DAY : 0;
    const created = Math.max(now - ageMs(), Math.min(minCreated, now - 60 * DAY));
    const region = source && source.ownerId === accountId && chance(0.85) ? source.region : fam.region;
    makeOwned(fam, region, created, source);
  }

  // Flags: deprecated, disabled, shared, protected, shared snapshots.
  for (const img of owned) {
    if (chance(0.1)) img.deprecationTime = new Date(now - Math.floor(rand() * 50 + 1) * DAY).toISOString();
    if (chance(0.03)) img.state = 'disabled';
    if (chance(0.04)) {
      const r = rand();
      const perm: LaunchPermission =
        r < 0.4
          ? { userId: pick(OTHER_ACCOUNTS) }
          : r < 0.6
            ? { organizationArn: ORG_ARN }
            : r < 0.8
              ? { organizationalUnitArn: OU_ARN }
              : { group: 'all' };
      if (perm.group === 'all') img.public = true;
      else img.launchPermissions.push(perm);
    }
    if (chance(0.025)) {
      const modes: DeregistrationProtection[] = ['enabled-without-cooldown', 'enabled-with-cooldown'];
      img.deregistrationProtection = pick(modes);
    }
  }
  for (let i = 0; i < owned.length / 50; i += 1) {
    const a = pick(owned);
    const b = owned.find((x) => x !== a && x.region === a.region && x.blockDevices.length < 3);
    const snap = a.blockDevices[0];
    if (b && snap?.snapshotId) b.blockDevices.push({ ...snap, deviceName: '/dev/sdc' });
  }

  // References: instances, launch templates, SSM parameters, recipes.
  const instances: InstanceRecord[] = [];
  const launchTemplates: LaunchTemplateRecord[] = [];
  const ssmParameters: SsmParameterRecord[] = [];
  const recipes: RecipeRecord[] = [];
  const referencedCount = Math.round(total * 0.07);
  const shuffled = [...owned];
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as ImageRecord, shuffled[i] as ImageRecord];
  }
  const inUse = shuffled.slice(0, referencedCount);
  let stateIndex = 0;
  for (const img of inUse) {
    const r = rand();
    if (r < 0.45) {
      const n = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < n; k += 1) {
        instances.push({
          instanceId: id('i'),
          region: img.region,
          imageId: img.imageId,
          state: INSTANCE_STATES[stateIndex++ % INSTANCE_STATES.length] as InstanceRecord['state'],
        });
      }
    } else if (r < 0.75) {
      // A launch template with dozens of versions; the image sits in one version, often an
      // old one (outside the default depth of 10) that is also the template's $Default.
      const versions = 12 + Math.floor(rand() * 40);
      const at = chance(0.5) ? 1 + Math.floor(rand() * Math.max(1, versions - 10)) : versions - Math.floor(rand() * 5);
      const ltId = id('lt');
      const recent = pick(roots.get(img.region) ?? [img]);
      launchTemplates.push({
        launchTemplateId: ltId,
        name: `${img.name.replace(/[^A-Za-z0-9-]/g, '-')}-lt-${ltId.slice(3, 9)}`,
        region: img.region,
        defaultVersion: at,
        versions: Array.from({ length: versions }, (_, k) =>
          k + 1 === at ? { versionNumber: k + 1, imageId: img.imageId } : { versionNumber: k + 1, imageId: recent.imageId },
        ),
      });
    } else if (r < 0.88) {
      ssmParameters.push({ name: `/ami/${img.name}/latest`, region: img.region, value: img.imageId });
    } else {
      recipes.push({
        kind: chance(0.6) ? 'image' : 'container',
        name: `${img.name.replace(/[^A-Za-z0-9-]/g, '-')}-recipe`,
        version: `1.${Math.floor(rand() * 9)}.0`,
        region: img.region,
        parentImage: img.imageId,
      });
    }
  }
  // Instances launched straight from Amazon images (no owned image involved), in every state.
  for (const region of regions) {
    for (const st of INSTANCE_STATES) {
      instances.push({ instanceId: id('i'), region, imageId: pick(roots.get(region) as ImageRecord[]).imageId, state: st });
    }
  }

  // Evidence DescribeImageReferences does not see: launch configurations, Batch compute
  // environments, Spot Fleet requests, EMR clusters. Some images are used only through these;
  // cancelled fleets and terminated clusters name other images without using them.
  const launchConfigurations: LaunchConfigurationRecord[] = [];
  const batchComputeEnvironments: BatchComputeEnvironmentRecord[] = [];
  const spotFleetRequests: SpotFleetRequestRecord[] = [];
  const emrClusters: EmrClusterRecord[] = [];
  const recycleBinRules: RecycleBinRuleRecord[] = [];
  const imageUsage: ImageUsageRecord[] = [];
  const past = (minDays: number, maxDays: number): string =>
    new Date(now - (minDays + Math.floor(rand() * (maxDays - minDays))) * DAY).toISOString();
  const slug = (img: ImageRecord): string => img.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 60);
  const amazonRoot = (region: string): ImageRecord => pick(roots.get(region) as ImageRecord[]);
  const addLaunchConfiguration = (region: string, imageId: string, name: string): void => {
    launchConfigurations.push({
      name,
      region,
      imageId,
      instanceType: pick(['t3.micro', 't3.large', 'm5.large', 'c6g.xlarge']),
      createdTime: past(200, 1500),
      uuid: deterministicUuid(options.seed, accountId, 'lc', counter++),
    });
  };
  const addEmr = (region: string, name: string, state: EmrClusterState, customAmiId?: string): void => {
    emrClusters.push({
      id: emrClusterId(options.seed, accountId, counter++),
      name,
      region,
      state,
      ...(customAmiId !== undefined ? { customAmiId } : {}),
      creationTime: past(1, 60),
    });
  };
  const addFleet = (region: string, state: SpotFleetRequestState, imageIds: string[]): void => {
    spotFleetRequests.push({
      spotFleetRequestId: `sfr-${deterministicUuid(options.seed, accountId, 'sfr', counter++)}`,
      region,
      state,
      createTime: past(1, 300),
      targetCapacity: 1 + Math.floor(rand() * 10),
      imageIds,
    });
  };
  const ACTIVE_FLEET: SpotFleetRequestState[] = ['active', 'submitted', 'modifying', 'cancelled_running'];
  const ENDED_FLEET: SpotFleetRequestState[] = ['cancelled', 'cancelled_terminating', 'failed'];
  const LIVE_EMR: EmrClusterState[] = ['WAITING', 'RUNNING', 'STARTING', 'BOOTSTRAPPING', 'TERMINATING'];
  const extraCount = total >= 10 ? Math.max(5, Math.round(total * 0.025)) : 0;
  const onlyElsewhere = shuffled.slice(referencedCount, referencedCount + extraCount);
  onlyElsewhere.forEach((img, k) => {
    switch (k % 5) {
      case 0:
        addLaunchConfiguration(img.region, img.imageId, `${slug(img)}-lc`);
        break;
      case 1:
        batchComputeEnvironments.push({
          name: `${slug(img)}-ce`,
          region: img.region,
          state: chance(0.8) ? 'ENABLED' : 'DISABLED',
          status: 'VALID',
          computeType: chance(0.5) ? 'EC2' : 'SPOT',
          imageId: img.imageId,
          imageIdOverrides: [],
        });
        break;
      case 2:
        // the image only in an ec2Configuration override (after an Amazon image)
        batchComputeEnvironments.push({
          name: `${slug(img)}-gpu-ce`,
          region: img.region,
          state: 'ENABLED',
          status: 'VALID',
          computeType: 'EC2',
          imageIdOverrides: [amazonRoot(img.region).imageId, img.imageId],
        });
        break;
      case 3:
        addFleet(img.region, ACTIVE_FLEET[Math.floor(k / 5) % ACTIVE_FLEET.length] as SpotFleetRequestState, [
          amazonRoot(img.region).imageId,
          img.imageId,
        ]);
        break;
      default:
        addEmr(img.region, `${slug(img)}-emr`, LIVE_EMR[Math.floor(k / 5) % LIVE_EMR.length] as EmrClusterState, img.imageId);
    }
  });
  const decoyCount = total >= 10 ? Math.max(2, Math.round(total * 0.01)) : 0;
  shuffled.slice(referencedCount + extraCount, referencedCount + extraCount + decoyCount).forEach((img, k) => {
    if (k % 2 === 0) addFleet(img.region, ENDED_FLEET[(k / 2) % ENDED_FLEET.length] as SpotFleetRequestState, [img.imageId]);
    else addEmr(img.region, `${slug(img)}-old-emr`, k % 4 === 1 ? 'TERMINATED' : 'TERMINATED_WITH_ERRORS', img.imageId);
  });
  regions.forEach((region, r) => {
    addLaunchConfiguration(region, amazonRoot(region).imageId, `amazon-linux-asg-${region}`);
    addEmr(region, `spark-default-ami-${region}`, 'WAITING');
    addEmr(region, `hive-terminated-${region}`, 'TERMINATED');
    batchComputeEnvironments.push({
      name: `default-ce-${region}`,
      region,
      state: 'ENABLED',
      status: 'VALID',
      computeType: 'SPOT',
      imageIdOverrides: [],
    });
    recycleBinRules.push({
      identifier: recycleBinRuleId(options.seed, accountId, region, 'tag'),
      region,
      description: 'Keep AMIs tagged Retain=yes',
      resourceType: 'EC2_IMAGE',
      retentionDays: 30,
      resourceTags: [{ key: 'Retain', value: 'yes' }],
      status: 'available',
      lockState: 'unlocked',
    });
    if (r === 0) {
      recycleBinRules.push({
        identifier: recycleBinRuleId(options.seed, accountId, region, 'region'),
        region,
        description: 'All AMIs of the region',
        resourceType: 'EC2_IMAGE',
        retentionDays: 7,
        resourceTags: [],
        status: 'available',
        lockState: 'unlocked',
      });
      recycleBinRules.push({
        identifier: recycleBinRuleId(options.seed, accountId, region, 'snapshots'),
        region,
        description: 'All snapshots of the region',
        resourceType: 'EBS_SNAPSHOT',
        retentionDays: 3,
        resourceTags: [],
        status: 'available',
        lockState: 'unlocked',
      });
    }
  });
  for (const img of owned) {
    if (chance(0.05)) img.tags.push({ key: 'Retain', value: 'yes' });
    for (const p of img.launchPermissions) {
      if (p.userId && chance(0.7)) {
        imageUsage.push({
          imageId: img.imageId,
          accountId: p.userId,
          resourceType: chance(0.7) ? 'ec2:Instance' : 'ec2:LaunchTemplate',
          usageCount: 1 + Math.floor(rand() * 5),
        });
      }
    }
  }

  const topicArn = `arn:aws:sns:${regions[0]}:${accountId}:ami-guard-reports`;
  const bucket = `ami-guard-reports-${accountId}`;
  const account: SandboxAccount = {
    accountId,
    callerArn: `arn:aws:iam::${accountId}:user/sandbox`,
    images,
    snapshots,
    instances,
    launchTemplates,
    ssmParameters,
    recipes,
    topics: [{ arn: topicArn }],
    buckets: [{ name: bucket, region: regions[0] as string }],
    launchConfigurations,
    batchComputeEnvironments,
    spotFleetRequests,
    emrClusters,
    recycleBinRules,
    imageUsage,
  };
  return { account, truth: computeTruth(account), topicArn, bucket };
}

/** Spot Fleet request states that no longer use their images. */
export const ENDED_SPOT_FLEET_STATES: readonly SpotFleetRequestState[] = ['cancelled', 'cancelled_terminating', 'failed'];
/** EMR cluster states that no longer use their custom AMI. */
export const ENDED_EMR_STATES: readonly EmrClusterState[] = ['TERMINATED', 'TERMINATED_WITH_ERRORS'];

/**
 * The ground truth of an account: for every owned image, blocked when referenced (instance in
 * any state, launch template at any version, SSM parameter, recipe, launch configuration, Batch
 * compute environment (image ID or any ec2Configuration override), Spot Fleet request not
 * cancelled / cancelled_terminating / failed, EMR cluster not terminated with it as custom AMI;
 * all in the image's region), an ancestor (any generation, any region) of a referenced image,
 * shared, or protected.
 */
export function computeTruth(account: SandboxAccount): Record<string, GroundTruth> {
  const me = account.accountId;
  const byId = new Map(account.images.map((i) => [i.imageId, i]));
  const why = new Map<string, string[]>();
  const truth: Record<string, GroundTruth> = {};
  for (const img of account.images) if (img.ownerId === me) why.set(img.imageId, []);
  const refer = (imageId: string, region: string, type: string, arn: string): void => {
    const img = byId.get(imageId);
    if (img && img.region === region) why.get(imageId)?.push(`referenced ${type} ${arn}`);
  };
  for (const i of account.instances) refer(i.imageId, i.region, 'ec2:Instance', instanceArn(me, i));
  for (const t of account.launchTemplates) {
    for (const imageId of new Set(t.versions.flatMap((v) => (v.imageId ? [v.imageId] : [])))) {
      refer(imageId, t.region, 'ec2:LaunchTemplate', launchTemplateArn(me, t));
    }
  }
  for (const p of account.ssmParameters) refer(p.value, p.region, 'ssm:Parameter', ssmParameterArn(me, p));
  for (const r of account.recipes) {
    refer(r.parentImage, r.region, r.kind === 'image' ? 'imagebuilder:ImageRecipe' : 'imagebuilder:ContainerRecipe', recipeArn(me, r));
  }
  for (const lc of account.launchConfigurations ?? []) {
    refer(lc.imageId, lc.region, 'autoscaling:LaunchConfiguration', launchConfigurationArn(me, lc));
  }
  for (const ce of account.batchComputeEnvironments ?? []) {
    const ids = new Set([...(ce.imageId !== undefined ? [ce.imageId] : []), ...ce.imageIdOverrides]);
    for (const imageId of ids) refer(imageId, ce.region, 'batch:ComputeEnvironment', batchComputeEnvironmentArn(me, ce));
  }
  for (const f of account.spotFleetRequests ?? []) {
    if (ENDED_SPOT_FLEET_STATES.includes(f.state)) continue;
    for (const imageId of new Set(f.imageIds)) refer(imageId, f.region, 'ec2:SpotFleetRequest', spotFleetRequestArn(me, f));
  }
  for (const c of account.emrClusters ?? []) {
    if (c.customAmiId === undefined || ENDED_EMR_STATES.includes(c.state)) continue;
    refer(c.customAmiId, c.region, 'elasticmapreduce:Cluster', emrClusterArn(me, c));
  }
  const referenced = account.images.filter((i) => (why.get(i.imageId) ?? []).some((w) => w.startsWith('referenced')));
  for (const used of referenced) {
    const seen = new Set<string>([used.imageId]);
    let cur = used;
    while (cur.sourceImageId) {
      const next = byId.get(cur.sourceImageId);
      if (!next || next.region !== (cur.sourceImageRegion ?? cur.region) || seen.has(next.imageId)) break;
      seen.add(next.imageId);
      const reasons = why.get(next.imageId);
      const reason = `ancestor-of-in-use ${used.imageId} ${used.region}`;
      if (reasons && !reasons.includes(reason)) reasons.push(reason);
      cur = next;
    }
  }
  for (const img of account.images) {
    const reasons = why.get(img.imageId);
    if (!reasons) continue;
    if (img.public) reasons.push('shared public');
    for (const p of img.launchPermissions) {
      reasons.push(`shared ${p.userId ?? p.organizationArn ?? p.organizationalUnitArn ?? p.group ?? ''}`);
    }
    if (img.deregistrationProtection !== 'disabled' || img.protectionCooldownUntil) {
      reasons.push(`deregistration-protected ${img.deregistrationProtection}`);
    }
    truth[img.imageId] = { region: img.region, expected: reasons.length > 0 ? 'blocked' : 'safe', why: reasons };
  }
  return truth;
}
