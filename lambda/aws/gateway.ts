// The AWS gateway: the one place that knows AWS. The engine and run.ts see only this interface.

import type { ExtraSource, LineageEntry, SnapshotOutcome } from '../contract';
import type { ImageRecord, ImageReference, ImageUsage, LaunchPermission, RecycleBinRule } from '../engine/model';
import * as actions from './actions';
import { clientFactory, type ClientOptions } from './clients';
import * as images from './images';
import { describeImage, existingSnapshots } from './read-back';
import { listImageRetentionRules } from './recycle-bin';
import { describeImageReferences } from './references';
import { listSource } from './sources';
import { imageUsage, type UsageReportTiming } from './usage-report';

export interface AwsGateway {
  describeOwnedImages(region: string): Promise<ImageRecord[]>;
  /** any number of image IDs: the gateway splits them into calls of the API's maximum */
  describeImageReferences(region: string, imageIds: readonly string[]): Promise<ImageReference[]>;
  getImageAncestry(region: string, imageId: string): Promise<LineageEntry[]>;
  describeLaunchPermissions(region: string, imageId: string): Promise<LaunchPermission[]>;
  describeDeregistrationProtection(region: string, imageId: string): Promise<string>;
  /** every resource of one extra source in the region that names an AMI */
  listSource(region: string, source: ExtraSource): Promise<ImageReference[]>;
  listImageRetentionRules(region: string): Promise<RecycleBinRule[]>;
  imageUsage(region: string, imageId: string, timing: UsageReportTiming): Promise<ImageUsage>;
  createTags(region: string, imageId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  deleteTags(region: string, imageId: string, keys: readonly string[]): Promise<void>;
  enableDeregistrationProtection(region: string, imageId: string): Promise<void>;
  disableDeregistrationProtection(region: string, imageId: string): Promise<void>;
  deregisterImage(region: string, imageId: string): Promise<SnapshotOutcome[]>;
  disableImage(region: string, imageId: string): Promise<void>;
  enableImage(region: string, imageId: string): Promise<void>;
  imageInRecycleBin(region: string, imageId: string): Promise<{ readonly retainUntil?: string } | undefined>;
  restoreImageFromRecycleBin(region: string, imageId: string): Promise<void>;
  /** one owned image as it is now; undefined when it is gone (reading back a mutation whose answer was an error) */
  describeImage(region: string, imageId: string): Promise<ImageRecord | undefined>;
  /** which of these snapshots still exist */
  existingSnapshots(region: string, snapshotIds: readonly string[]): Promise<string[]>;
}

export type GatewayOptions = ClientOptions;

export function createAwsGateway(options: GatewayOptions = {}): AwsGateway {
  const clients = clientFactory(options);
  const ec2 = (region: string) => clients(region).ec2;
  return {
    describeOwnedImages: (region) => images.describeOwnedImages(ec2(region), region),
    describeImageReferences: (region, ids) => describeImageReferences(ec2(region), ids),
    getImageAncestry: (region, id) => images.getImageAncestry(ec2(region), region, id),
    describeLaunchPermissions: (region, id) => images.describeLaunchPermissions(ec2(region), id),
    describeDeregistrationProtection: (region, id) => images.describeDeregistrationProtection(ec2(region), id),
    listSource: (region, source) => listSource(source, clients(region)),
    listImageRetentionRules: (region) => listImageRetentionRules(clients(region).rbin),
    imageUsage: (region, id, timing) => imageUsage(ec2(region), id, timing),
    createTags: (region, id, tags) => actions.createTags(ec2(region), id, tags),
    deleteTags: (region, id, keys) => actions.deleteTags(ec2(region), id, keys),
    enableDeregistrationProtection: (region, id) => actions.enableDeregistrationProtection(ec2(region), id),
    disableDeregistrationProtection: (region, id) => actions.disableDeregistrationProtection(ec2(region), id),
    deregisterImage: (region, id) => actions.deregisterImage(ec2(region), id),
    disableImage: (region, id) => actions.disableImage(ec2(region), id),
    enableImage: (region, id) => actions.enableImage(ec2(region), id),
    imageInRecycleBin: (region, id) => actions.imageInRecycleBin(ec2(region), id),
    restoreImageFromRecycleBin: (region, id) => actions.restoreImageFromRecycleBin(ec2(region), id),
    describeImage: (region, id) => describeImage(ec2(region), region, id),
    existingSnapshots: (region, ids) => existingSnapshots(ec2(region), ids),
  };
}
