// Shrunk counterexamples the fuzz found on main, kept as fixed cases: each one fails until the
// defect of issue 12 it shows is fixed, then guards against its return. `seed`, `path` and
// `without` replay the search that found it (FUZZ_SEED, FUZZ_PATH, FUZZ_WITHOUT), as long as the
// arbitraries in world.ts stay as they were; the scenario itself replays always.

import type { ImageGen, Scenario } from './world';

export interface Found {
  readonly name: string;
  /** the defect of issue 12 it shows */
  readonly defect: string;
  /** the search that found it; absent for a case derived by hand from another */
  readonly seed?: number;
  readonly path?: string;
  readonly without?: string;
  readonly scenario: Scenario;
}

const plain: ImageGen = {
  region: 0,
  parent: { kind: 'none' },
  state: 'available',
  protection: 'disabled',
  shares: [],
  deprecated: false,
  shortId: false,
  snapshots: 0,
  oddTags: [],
  oddName: false,
};

export const FOUND: readonly Found[] = [
  {
    name: 'a copied ami-guard:protected-by disarms a protection a person set: the image is called safe',
    defect: '7 (copied marks)',
    seed: 1,
    path: '0:0:2:1:1:1:1:3:3:3:3:3:5:5:5:5:5:5:5:5:5:5:6:6:0:2:3:3:3:4:4:4:5:5:5:5:5:5:5:5:5:5',
    without: '',
    scenario: {
      images: [
        { ...plain, parent: { kind: 'owned', back: 1 } },
        { ...plain, parent: { kind: 'owned', back: 1 } },
        { ...plain, parent: { kind: 'owned', back: 1 }, shares: ['account'] },
      ],
      references: [{ target: 0, kind: 'instance', fromOtherRegion: false, variant: 0 }],
      recycleBin: [],
      edits: [{ from: 0, to: 0, personProtects: true }],
      faults: [],
      faultSeed: 0,
      run: { mode: 'report', regions: 1, graceDays: 0, maxDeregister: 1, requireRecycleBin: false, earlierRun: true },
    },
  },
  {
    name: 'a copy made and launched after the gather does not stop the deregistration of its source',
    defect: '5 (stale re-check: new descendant in use)',
    seed: 2,
    path: '113:0:1:2:2:2:2:4:4:4:4:4:4:4:2:2:2:2:2:2:2:2:0:1:1:1:1:1:1:1:1:1:3:2:3:4:4:4:4',
    without: 'organization,edits,recycle-bin,faults',
    scenario: {
      images: [plain, { ...plain, protection: 'enabled-without-cooldown', shares: ['account'] }],
      references: [],
      recycleBin: [],
      edits: [],
      faults: [],
      faultSeed: 0,
      run: { mode: 'cleanup', regions: 1, graceDays: 0, maxDeregister: 1, requireRecycleBin: false, earlierRun: true },
      midRun: {
        trigger: { phase: 'gather', action: 'ListClusters' },
        changes: [{ kind: 'copy', target: 0, toOtherRegion: false, copyTags: false, launched: true }],
      },
    },
  },
  {
    name: 'a Recycle Bin rule keyed on the tag "constructor" is taken to cover every image (--require-recycle-bin)',
    defect: '4 (lookups keyed by AWS data on plain objects)',
    seed: 3,
    path: '257:0:2:0:1:2:2:2:2:5:5:5:5:5:3:3:3:3:3:0:0:4:3:3:3:3:3:3:3:3:4:4:0:1:3:3:3',
    without: 'organization,edits,mid-run,faults',
    scenario: {
      images: [{ ...plain, parent: { kind: 'owned', back: 1 } }],
      references: [],
      recycleBin: [{ region: 0, tagKey: 'constructor' }],
      edits: [],
      faults: [],
      faultSeed: 0,
      run: { mode: 'cleanup', regions: 1, graceDays: 0, maxDeregister: 1, requireRecycleBin: true, earlierRun: true },
    },
  },
  {
    name: 'a copy made into another region and launched after the gather does not stop the deregistration either',
    defect: '5 (stale re-check: the image\'s region alone is read again)',
    scenario: {
      images: [plain, { ...plain, protection: 'enabled-without-cooldown', shares: ['account'] }],
      references: [],
      recycleBin: [],
      edits: [],
      faults: [],
      faultSeed: 0,
      run: { mode: 'cleanup', regions: 2, graceDays: 0, maxDeregister: 1, requireRecycleBin: false, earlierRun: true },
      midRun: {
        trigger: { phase: 'gather', action: 'ListClusters' },
        changes: [{ kind: 'copy', target: 0, toOtherRegion: true, copyTags: false, launched: true }],
      },
    },
  },
  {
    name: "a member's own copy of a shared image, in use, does not keep the image (organization mode)",
    defect: "1 (organization mode: a member's copy, followed through its SourceImageId)",
    seed: 7,
    path: '1:1:0:0:5:3:4:7:1:13:13:13:15:14:15:15:15:15:15:15:15:15:15:15:1:3:1:6:3:1:1:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2',
    without: 'edits,mid-run,recycle-bin,faults',
    scenario: {
      images: [plain],
      references: [],
      recycleBin: [],
      edits: [],
      faults: [],
      faultSeed: 0,
      run: { mode: 'report', regions: 1, graceDays: 0, maxDeregister: 1, requireRecycleBin: false, earlierRun: true },
      organization: { memberStatus: 'ACTIVE', memberReachable: true, memberInOu: false, memberOutOfScope: false, uses: [], copies: [{ target: 0, launched: true }] },
    },
  },
  {
    name: 'a descendant shared with a member and used there leaves its ancestor safe (organization mode)',
    defect: '1 (organization mode: use of a descendant in a consumer account)',
    seed: 8,
    path: '4:2:4:1:1:1:1:8:1:15:15:15:15:15:15:18:17:17:17:17:17:17:17:20:20:20:20:20:20:20:20:23:23:23:1:5:13:13:13:13:13:13:13:13:13:13:13:13:13:13:13:13:13:9:3:1:7:7',
    without: 'edits,mid-run,recycle-bin,member-copies',
    scenario: {
      images: [{ ...plain, shares: ['account'] }, { ...plain, parent: { kind: 'owned', back: 1 } }, plain],
      references: [],
      recycleBin: [],
      edits: [],
      faults: [{ action: 'DescribeOrganization', kind: 'throttle', probability: 0.3, laterPagesOnly: false, occurrence: 0 }],
      faultSeed: 0,
      run: { mode: 'report', regions: 1, graceDays: 0, maxDeregister: 1, requireRecycleBin: false, earlierRun: true },
      organization: {
        memberStatus: 'ACTIVE',
        memberReachable: true,
        memberInOu: false,
        memberOutOfScope: false,
        uses: [{ reference: { target: 1082617903, kind: 'instance', fromOtherRegion: false, variant: 0 }, sharedAs: 'account' }],
        copies: [],
      },
    },
  },
];
