// The generated worlds of the fuzz: a small account in the sandbox (images with lineage across
// regions, every kind of reference and extra source, shares, protection, odd tags), a fault
// schedule, changes made while ami-guard runs, and the run itself. Each arbitrary produces a plain
// description; build.ts turns it into sandbox state, so a counterexample prints readably.

import fc from 'fast-check';
import type { Mode } from '../../lambda/contract';
import type { AnswerDamage, InstanceState } from '../../sandbox';
import { INSTANCE_STATES } from '../../sandbox';

export const REGIONS = ['us-east-1', 'eu-west-1'] as const;
export const ACCOUNT = '111122223333';
/** Another account (shares name it; organization mode makes it a member). */
export const OTHER_ACCOUNT = '444455556666';

/** Tag keys that are Object prototype names, AWS-reserved, empty-ish or unusual: lookups keyed by them must still be exact. */
export const ODD_TAG_KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'aws:cloudformation:stack-name', 'Name', 'Retain', 'ami-guard:keep ', 'Ünïcode key'] as const;

export type ShareKind = 'account' | 'organization' | 'organizational-unit' | 'public';
export type Protection = 'disabled' | 'enabled-without-cooldown' | 'enabled-with-cooldown' | 'cooldown';

export type Parent =
  | { readonly kind: 'none' }
  /** an earlier image of the account (`back` images before this one), in its region */
  | { readonly kind: 'owned'; readonly back: number }
  /** an Amazon image of the region */
  | { readonly kind: 'amazon' }
  /** an image that no longer exists */
  | { readonly kind: 'gone' };

export interface ImageGen {
  readonly region: 0 | 1;
  readonly parent: Parent;
  readonly state: 'available' | 'disabled';
  readonly protection: Protection;
  readonly shares: readonly ShareKind[];
  readonly deprecated: boolean;
  readonly shortId: boolean;
  readonly snapshots: 0 | 1 | 2;
  readonly oddTags: readonly (typeof ODD_TAG_KEYS)[number][];
  readonly oddName: boolean;
}

export const REFERENCE_KINDS = [
  'instance',
  'launch-template-default',
  'launch-template-old-version',
  'ssm-parameter',
  'image-recipe',
  'container-recipe',
  'launch-configuration',
  'batch-image',
  'batch-override',
  'spot-fleet',
  'emr-cluster',
] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

export interface ReferenceGen {
  /** an image of the account, by index (modulo their number) */
  readonly target: number;
  readonly kind: ReferenceKind;
  /** a reference from the other region names an ID that is no image there: not a use */
  readonly fromOtherRegion: boolean;
  /** picks the instance, Spot Fleet or EMR state (some of which no longer use the image) */
  readonly variant: number;
}

export interface RecycleBinRuleGen {
  readonly region: 0 | 1;
  /** no key: a region-level rule */
  readonly tagKey?: string;
  readonly tagValue?: string;
}

/** What people did between an earlier ami-guard run and this one. */
export interface EditGen {
  /** copy every `ami-guard:*` tag of one image onto another (CopyImage/CreateImage with copied tags) */
  readonly from: number;
  /** among the images nothing needs (when there are any) */
  readonly to: number;
  /** and a person then protects the image that got the copied marks */
  readonly personProtects: boolean;
}

/** Each change picks its image among those nothing needs yet (when there are any). */
export type ChangeGen =
  | { readonly kind: 'reference'; readonly reference: ReferenceGen }
  | { readonly kind: 'share'; readonly target: number; readonly share: ShareKind }
  | { readonly kind: 'copy'; readonly target: number; readonly toOtherRegion: boolean; readonly copyTags: boolean; readonly launched: boolean }
  | { readonly kind: 'protect'; readonly target: number; readonly withCooldown: boolean };

/** The calls a change may be made at: the first read of a kind (during the gather), or a write (after it). */
export const GATHER_TRIGGERS = ['DescribeImages', 'DescribeImageReferences', 'DescribeImageAttribute', 'DescribeLaunchConfigurations', 'ListClusters'] as const;
export const ACT_TRIGGERS = ['CreateTags', 'EnableImageDeregistrationProtection', 'DisableImageDeregistrationProtection', 'DeregisterImage'] as const;

export interface MidRunGen {
  readonly trigger: { readonly phase: 'gather'; readonly action: (typeof GATHER_TRIGGERS)[number] } | { readonly phase: 'act'; readonly action: (typeof ACT_TRIGGERS)[number]; readonly nth: number };
  readonly changes: readonly ChangeGen[];
}

export const FAULT_ACTIONS = [
  'DescribeOrganization',
  'ListAccounts',
  'ListAccountsForParent',
  'ListOrganizationalUnitsForParent',
  'DescribeImages',
  'DescribeImageReferences',
  'DescribeImageAttribute',
  'GetImageAncestry',
  'DescribeSpotFleetRequests',
  'DescribeLaunchConfigurations',
  'DescribeComputeEnvironments',
  'ListClusters',
  'DescribeCluster',
  'ListRules',
  'GetRule',
  'CreateTags',
  'DeleteTags',
  'EnableImageDeregistrationProtection',
  'DisableImageDeregistrationProtection',
  'DeregisterImage',
] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];
export type FaultKind = 'throttle' | 'server-error' | 'unavailable' | 'access-denied' | AnswerDamage;

export interface FaultGen {
  readonly action: FaultAction;
  readonly kind: FaultKind;
  readonly probability: number;
  /** fail only the first attempts of each request (a retry then succeeds) */
  readonly times?: number;
  /** only pages after the first */
  readonly laterPagesOnly: boolean;
  /** which ID a `corrupt-id` rewrites */
  readonly occurrence: number;
}

export interface RunGen {
  readonly mode: Mode;
  /** `check` names some images (and one the account does not own) instead of a scan */
  readonly check?: { readonly picks: readonly number[]; readonly unknown: boolean };
  readonly regions: 1 | 2;
  readonly graceDays: number;
  readonly maxDeregister: number;
  readonly requireRecycleBin: boolean;
  /** items per page the sandbox serves at most (so that later pages exist) */
  readonly pageCap?: number;
  /** a protect run 30 days earlier left ami-guard's marks (and safe-since dates past the grace) */
  readonly earlierRun: boolean;
}

/**
 * Organization mode: the account is the management (and home) account of an organization with one
 * member, OTHER_ACCOUNT, which the account's `account` shares name and which may sit in the OU
 * that OU shares name. The member may use images shared with it, or run its own copy of one (each
 * use and copy comes with the share that allowed it; a copy's kind of share follows from its target).
 */
export interface OrganizationGen {
  readonly memberStatus: 'ACTIVE' | 'SUSPENDED';
  /** the member role can be assumed in the member account */
  readonly memberReachable: boolean;
  readonly memberInOu: boolean;
  /** `--accounts` names only the home account: the member is out of scope */
  readonly memberOutOfScope: boolean;
  readonly uses: readonly { readonly reference: ReferenceGen; readonly sharedAs: ShareKind }[];
  readonly copies: readonly { readonly target: number; readonly launched: boolean }[];
}

export interface Scenario {
  readonly organization?: OrganizationGen;
  readonly images: readonly ImageGen[];
  readonly references: readonly ReferenceGen[];
  readonly recycleBin: readonly RecycleBinRuleGen[];
  readonly edits: readonly EditGen[];
  readonly faults: readonly FaultGen[];
  readonly faultSeed: number;
  readonly midRun?: MidRunGen;
  readonly run: RunGen;
}

// ---------------------------------------------------------------- arbitraries

const region = fc.constantFrom<0 | 1>(0, 1);
const share = fc.constantFrom<ShareKind>('account', 'organization', 'organizational-unit', 'public');

const parent: fc.Arbitrary<Parent> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Parent>({ kind: 'none' }) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 4 }).map<Parent>((back) => ({ kind: 'owned', back })) },
  { weight: 4, arbitrary: fc.constant<Parent>({ kind: 'amazon' }) },
  { weight: 1, arbitrary: fc.constant<Parent>({ kind: 'gone' }) },
);

export const imageArb: fc.Arbitrary<ImageGen> = fc.record({
  region,
  parent,
  state: fc.constantFrom<ImageGen['state']>('available', 'available', 'available', 'disabled'),
  protection: fc.oneof(
    { weight: 10, arbitrary: fc.constant<Protection>('disabled') },
    { weight: 1, arbitrary: fc.constantFrom<Protection>('enabled-without-cooldown', 'enabled-with-cooldown', 'cooldown') },
  ),
  shares: fc.oneof({ weight: 8, arbitrary: fc.constant<ShareKind[]>([]) }, { weight: 1, arbitrary: fc.uniqueArray(share, { minLength: 1, maxLength: 2 }) }),
  deprecated: fc.boolean(),
  shortId: fc.boolean(),
  snapshots: fc.constantFrom<0 | 1 | 2>(0, 1, 1, 2),
  oddTags: fc.uniqueArray(fc.constantFrom(...ODD_TAG_KEYS), { maxLength: 2 }),
  oddName: fc.boolean(),
});

export const referenceArb: fc.Arbitrary<ReferenceGen> = fc.record({
  target: fc.nat(),
  kind: fc.constantFrom(...REFERENCE_KINDS),
  fromOtherRegion: fc.constantFrom(false, false, false, true),
  variant: fc.nat({ max: 20 }),
});

const recycleBinRuleArb: fc.Arbitrary<RecycleBinRuleGen> = fc.record(
  {
    region,
    tagKey: fc.constantFrom(...ODD_TAG_KEYS),
    tagValue: fc.constantFrom('yes', ''),
  },
  { requiredKeys: ['region'] },
);

const editArb: fc.Arbitrary<EditGen> = fc.record({ from: fc.nat(), to: fc.nat(), personProtects: fc.boolean() });

export const changeArb: fc.Arbitrary<ChangeGen> = fc.oneof(
  referenceArb.map<ChangeGen>((reference) => ({ kind: 'reference', reference: { ...reference, fromOtherRegion: false } })),
  fc.record({ target: fc.nat(), share }).map<ChangeGen>((c) => ({ kind: 'share', ...c })),
  fc.record({ target: fc.nat(), toOtherRegion: fc.boolean(), copyTags: fc.boolean(), launched: fc.boolean() }).map<ChangeGen>((c) => ({ kind: 'copy', ...c })),
  fc.record({ target: fc.nat(), withCooldown: fc.boolean() }).map<ChangeGen>((c) => ({ kind: 'protect', ...c })),
);

const midRunArb: fc.Arbitrary<MidRunGen> = fc.record({
  trigger: fc.oneof(
    fc.constantFrom(...GATHER_TRIGGERS).map((action) => ({ phase: 'gather' as const, action })),
    fc.record({ action: fc.constantFrom(...ACT_TRIGGERS), nth: fc.integer({ min: 1, max: 2 }) }).map((t) => ({ phase: 'act' as const, ...t })),
  ),
  changes: fc.array(changeArb, { minLength: 1, maxLength: 2 }),
});

export const faultArb: fc.Arbitrary<FaultGen> = fc.record(
  {
    action: fc.constantFrom(...FAULT_ACTIONS),
    kind: fc.constantFrom<FaultKind>('throttle', 'server-error', 'unavailable', 'access-denied', 'truncate', 'drop-list', 'corrupt-id'),
    probability: fc.constantFrom(0.3, 0.6, 1),
    times: fc.integer({ min: 1, max: 3 }),
    laterPagesOnly: fc.boolean(),
    occurrence: fc.nat({ max: 30 }),
  },
  { requiredKeys: ['action', 'kind', 'probability', 'laterPagesOnly', 'occurrence'] },
);

const organizationArb: fc.Arbitrary<OrganizationGen> = fc.record({
  memberStatus: fc.constantFrom<OrganizationGen['memberStatus']>('ACTIVE', 'ACTIVE', 'ACTIVE', 'SUSPENDED'),
  memberReachable: fc.constantFrom(true, true, true, false),
  memberInOu: fc.boolean(),
  memberOutOfScope: fc.constantFrom(false, false, false, true),
  uses: fc.array(
    fc.record({ reference: referenceArb.map((reference) => ({ ...reference, fromOtherRegion: false })), sharedAs: fc.constantFrom<ShareKind>('account', 'organization', 'organizational-unit') }),
    { maxLength: 3 },
  ),
  copies: fc.array(fc.record({ target: fc.nat(), launched: fc.boolean() }), { maxLength: 2 }),
});

const runArb: fc.Arbitrary<RunGen> = fc.record(
  {
    mode: fc.constantFrom<Mode>('report', 'protect', 'cleanup', 'cleanup', 'cleanup'),
    check: fc.record({ picks: fc.uniqueArray(fc.nat({ max: 14 }), { minLength: 1, maxLength: 4 }), unknown: fc.boolean() }),
    regions: fc.constantFrom<1 | 2>(1, 2, 2),
    graceDays: fc.constantFrom(0, 14, 14, 45),
    maxDeregister: fc.constantFrom(1, 50, 50),
    requireRecycleBin: fc.constantFrom(false, false, false, true),
    pageCap: fc.integer({ min: 1, max: 3 }),
    earlierRun: fc.constantFrom(true, true, true, false),
  },
  { requiredKeys: ['mode', 'regions', 'graceDays', 'maxDeregister', 'requireRecycleBin', 'earlierRun'] },
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record(
  {
    organization: organizationArb,
    images: fc.array(imageArb, { minLength: 1, maxLength: 12 }),
    references: fc.array(referenceArb, { maxLength: 5 }),
    recycleBin: fc.array(recycleBinRuleArb, { maxLength: 2 }),
    edits: fc.array(editArb, { maxLength: 2 }),
    faults: fc.oneof({ weight: 1, arbitrary: fc.constant<FaultGen[]>([]) }, { weight: 3, arbitrary: fc.array(faultArb, { minLength: 1, maxLength: 3 }) }),
    faultSeed: fc.nat(),
    midRun: midRunArb,
    run: runArb,
  },
  { requiredKeys: ['images', 'references', 'recycleBin', 'edits', 'faults', 'faultSeed', 'run'] },
);

/** Parts of a scenario that can be left out, to look for failures of another kind than the first one found. */
export const OPTIONAL_PARTS = ['organization', 'member-copies', 'edits', 'mid-run', 'faults', 'recycle-bin'] as const;
export type OptionalPart = (typeof OPTIONAL_PARTS)[number];

/** The scenarios without the given parts (mapped, so seeds and paths replay under the same list). */
export function scenariosWithout(parts: readonly OptionalPart[]): fc.Arbitrary<Scenario> {
  if (parts.length === 0) return scenarioArb;
  return scenarioArb.map(({ midRun, organization, ...scenario }) => ({
    ...scenario,
    ...(parts.includes('organization') || organization === undefined
      ? {}
      : { organization: parts.includes('member-copies') ? { ...organization, copies: [] } : organization }),
    ...(parts.includes('mid-run') || midRun === undefined ? {} : { midRun }),
    edits: parts.includes('edits') ? [] : scenario.edits,
    faults: parts.includes('faults') ? [] : scenario.faults,
    recycleBin: parts.includes('recycle-bin') ? [] : scenario.recycleBin,
  }));
}

/** The instance state a reference's variant picks. */
export const instanceStateOf = (variant: number): InstanceState => INSTANCE_STATES[variant % INSTANCE_STATES.length] as InstanceState;
