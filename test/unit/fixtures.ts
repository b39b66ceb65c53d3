// Plain-data builders for the engine's unit tests.

import type { Evidence, ImageRecord, ImageReference, LaunchPermission } from '../../lambda/engine/model';
import { completed, failed, keyOf, type CheckResult } from '../../lambda/engine/model';
import { EXTRA_SOURCES, type ExtraSource, type LineageEntry } from '../../lambda/contract';

export function image(imageId: string, overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    imageId,
    region: 'us-east-1',
    ownerId: '111122223333',
    name: `app-${imageId}`,
    creationDate: '2025-01-01T00:00:00.000Z',
    state: 'available',
    public: false,
    tags: {},
    snapshots: [{ snapshotId: `snap-${imageId.slice(4)}`, deviceName: '/dev/xvda', sizeGiB: 8 }],
    deregistrationProtection: 'disabled',
    ...overrides,
  };
}

export interface EvidenceSpec {
  references?: Record<string, CheckResult<readonly ImageReference[]>>;
  permissions?: Record<string, CheckResult<readonly LaunchPermission[]>>;
  lineage?: Record<string, CheckResult<readonly LineageEntry[]>>;
  /** references an extra source lists in every region */
  sources?: Partial<Record<ExtraSource, ImageReference[]>>;
  /** an extra source that failed in us-east-1 */
  failedSource?: ExtraSource;
}

/** Evidence where every check of `checked` completed and found nothing, then the spec's overrides. */
export function evidenceFor(checked: readonly ImageRecord[], spec: EvidenceSpec = {}): Evidence {
  const references = new Map<string, CheckResult<readonly ImageReference[]>>();
  const launchPermissions = new Map<string, CheckResult<readonly LaunchPermission[]>>();
  const lineage = new Map<string, CheckResult<readonly LineageEntry[]>>();
  for (const i of checked) {
    references.set(keyOf(i), completed([]));
    launchPermissions.set(keyOf(i), completed([]));
    lineage.set(keyOf(i), completed([{ imageId: i.imageId, region: i.region }]));
  }
  const byId = (id: string): string => keyOf(checked.find((i) => i.imageId === id) ?? { region: 'us-east-1', imageId: id });
  for (const [id, r] of Object.entries(spec.references ?? {})) references.set(byId(id), r);
  for (const [id, r] of Object.entries(spec.permissions ?? {})) launchPermissions.set(byId(id), r);
  for (const [id, r] of Object.entries(spec.lineage ?? {})) lineage.set(byId(id), r);
  const regions = new Set([...checked.map((i) => i.region), 'us-east-1']);
  const sources = new Map([...regions].map((region) => [region, new Map(EXTRA_SOURCES.map((s) => [s, completed<readonly ImageReference[]>(spec.sources?.[s] ?? [])]))]));
  if (spec.failedSource !== undefined) sources.get('us-east-1')?.set(spec.failedSource, failed('AccessDenied: no'));
  return { references, launchPermissions, lineage, protection: new Map(), sources, recycleBin: new Map(), usage: new Map(), notChecked: new Map() };
}

export const ref = (imageId: string, resourceType = 'ec2:Instance', arn = 'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc'): ImageReference => ({
  imageId,
  resourceType,
  arn,
});

export { completed, failed };
