// An AwsGateway held in memory for the unit tests of gather.ts, act.ts and the re-check: owned
// images per region (changed by the mutations), scripted answers for the reads, scripted failures,
// and every call recorded in the order it was made.

import type { AwsGateway } from '../../lambda/aws/gateway';
import type { ExtraSource, LineageEntry, SnapshotOutcome } from '../../lambda/contract';
import { keyOf, type ImageRecord, type ImageReference, type ImageUsage, type LaunchPermission, type RecycleBinRule } from '../../lambda/engine/model';

/** One call: its API name, its region and the image IDs it named (the source for ListSource). */
export interface GatewayCall {
  readonly name: string;
  readonly region: string;
  readonly ids: readonly string[];
}

export interface MemorySpec {
  /** the owned images, in any region; the mutations change them */
  readonly images?: readonly ImageRecord[];
  /** references per image key (`region/ami-…`); none when absent */
  readonly references?: Readonly<Record<string, readonly ImageReference[]>>;
  /** launch permissions per image key; none when absent */
  readonly permissions?: Readonly<Record<string, readonly LaunchPermission[]>>;
  /** GetImageAncestry's chain per image key; the image alone when absent */
  readonly ancestry?: Readonly<Record<string, readonly LineageEntry[]>>;
  /** per region, what each extra source lists; nothing when absent */
  readonly sources?: Readonly<Record<string, Partial<Record<ExtraSource, readonly ImageReference[]>>>>;
  /** per region, the Recycle Bin retention rules; none when absent */
  readonly rules?: Readonly<Record<string, readonly RecycleBinRule[]>>;
  /** usage reports per image key */
  readonly usage?: Readonly<Record<string, ImageUsage>>;
  /** an error to throw for a call (a mutation then has no effect); undefined lets it through */
  readonly fail?: (call: GatewayCall) => Error | undefined;
}

export interface MemoryGateway {
  readonly gateway: AwsGateway;
  readonly calls: GatewayCall[];
  /** the calls' names, in order (optionally only those in `names`) */
  readonly names: (...names: string[]) => string[];
  /** an owned image as it is now; undefined once deregistered */
  readonly image: (region: string, imageId: string) => ImageRecord | undefined;
}

/** An error as the SDK throws it: its name is AWS's error code. */
export const awsError = (name: string, message = `${name} (scripted)`): Error => Object.assign(new Error(message), { name });

export function memoryGateway(spec: MemorySpec = {}): MemoryGateway {
  const images = new Map<string, ImageRecord>((spec.images ?? []).map((i) => [keyOf(i), i]));
  const snapshots = new Set((spec.images ?? []).flatMap((i) => i.snapshots.map((s) => s.snapshotId)));
  const calls: GatewayCall[] = [];

  /** Records the call, throws the scripted failure, else answers. Synchronous up to the answer, like a client's send. */
  const answer = <T>(name: string, region: string, ids: readonly string[], value: () => T): Promise<T> => {
    const call = { name, region, ids: [...ids] };
    calls.push(call);
    const error = spec.fail?.(call);
    if (error !== undefined) return Promise.reject(error);
    try {
      return Promise.resolve(value());
    } catch (thrown) {
      return Promise.reject(thrown as Error);
    }
  };
  const owned = (region: string, imageId: string): ImageRecord => {
    const found = images.get(`${region}/${imageId}`);
    if (found === undefined) throw awsError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    return found;
  };
  const change = (region: string, imageId: string, update: (image: ImageRecord) => ImageRecord): void => {
    images.set(`${region}/${imageId}`, update(owned(region, imageId)));
  };
  const key = (region: string, imageId: string): string => `${region}/${imageId}`;
  const unused = (name: string) => (): Promise<never> => Promise.reject(new Error(`${name}: not answered by the memory gateway`));

  const gateway: AwsGateway = {
    describeOwnedImages: (region) => answer('DescribeImages', region, [], () => [...images.values()].filter((i) => i.region === region)),
    describeImageReferences: (region, ids) =>
      answer('DescribeImageReferences', region, ids, () => ids.flatMap((id) => [...(spec.references?.[key(region, id)] ?? [])])),
    getImageAncestry: (region, id) =>
      answer('GetImageAncestry', region, [id], () => [...(spec.ancestry?.[key(region, id)] ?? [{ imageId: id, region }])]),
    describeLaunchPermissions: (region, id) => answer('DescribeLaunchPermissions', region, [id], () => [...(spec.permissions?.[key(region, id)] ?? [])]),
    describeDeregistrationProtection: (region, id) =>
      answer('DescribeDeregistrationProtection', region, [id], () => owned(region, id).deregistrationProtection ?? 'disabled'),
    listSource: (region, source) => answer('ListSource', region, [source], () => [...(spec.sources?.[region]?.[source] ?? [])]),
    listImageRetentionRules: (region) => answer('ListRules', region, [], () => [...(spec.rules?.[region] ?? [])]),
    imageUsage: (region, id) =>
      answer('ImageUsage', region, [id], () => spec.usage?.[key(region, id)] ?? { status: 'ready' as const, users: [] }),
    createTags: (region, id, tags) => answer('CreateTags', region, [id], () => change(region, id, (i) => ({ ...i, tags: { ...i.tags, ...tags } }))),
    deleteTags: (region, id, keys) =>
      answer('DeleteTags', region, [id], () =>
        change(region, id, (i) => ({ ...i, tags: Object.fromEntries(Object.entries(i.tags).filter(([k]) => !keys.includes(k))) })),
      ),
    enableDeregistrationProtection: (region, id) =>
      answer('EnableImageDeregistrationProtection', region, [id], () =>
        change(region, id, (i) => ({ ...i, deregistrationProtection: 'enabled-without-cooldown' })),
      ),
    disableDeregistrationProtection: (region, id) =>
      answer('DisableImageDeregistrationProtection', region, [id], () => change(region, id, (i) => ({ ...i, deregistrationProtection: 'disabled' }))),
    deregisterImage: (region, id) =>
      answer('DeregisterImage', region, [id], (): SnapshotOutcome[] => {
        const gone = owned(region, id);
        images.delete(keyOf(gone));
        for (const s of gone.snapshots) snapshots.delete(s.snapshotId);
        return gone.snapshots.map((s) => ({ snapshotId: s.snapshotId, returnCode: 'success' }));
      }),
    disableImage: (region, id) => answer('DisableImage', region, [id], () => change(region, id, (i) => ({ ...i, state: 'disabled' }))),
    enableImage: (region, id) => answer('EnableImage', region, [id], () => change(region, id, (i) => ({ ...i, state: 'available' }))),
    imageInRecycleBin: unused('ListImagesInRecycleBin'),
    restoreImageFromRecycleBin: unused('RestoreImageFromRecycleBin'),
    describeImage: (region, id) => answer('DescribeImage', region, [id], () => images.get(key(region, id))),
    existingSnapshots: (region, ids) => answer('DescribeSnapshots', region, ids, () => ids.filter((id) => snapshots.has(id))),
  };
  return {
    gateway,
    calls,
    names: (...names) => calls.map((c) => c.name).filter((name) => names.length === 0 || names.includes(name)),
    image: (region, imageId) => images.get(key(region, imageId)),
  };
}
