// The places beyond DescribeImageReferences that name an AMI directly (DESIGN.md "Evidence beyond
// DescribeImageReferences"). Each lists, for one region, every resource naming any AMI; the engine
// matches them to images. Every page is read; any error fails the whole source for that region.

import { AutoScalingClient, paginateDescribeLaunchConfigurations } from '@aws-sdk/client-auto-scaling';
import { BatchClient, paginateDescribeComputeEnvironments } from '@aws-sdk/client-batch';
import { paginateDescribeSpotFleetRequests, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EMRClient, paginateListClusters, type ClusterState } from '@aws-sdk/client-emr';
import type { ExtraSource } from '../contract';
import type { ImageReference } from '../engine/model';
import { MalformedAnswerError } from './errors';


export interface SourceClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly batch: BatchClient;
  readonly emr: EMRClient;
}

/** Spot Fleet requests in these states may still launch instances from their specifications. */
const SPOT_FLEET_FINISHED = new Set(['cancelled', 'cancelled_terminating', 'failed']);
const EMR_NOT_TERMINATED: ClusterState[] = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING', 'TERMINATING'];

export function listSource(source: ExtraSource, clients: SourceClients): Promise<ImageReference[]> {
  switch (source) {
    case 'autoscaling:LaunchConfiguration':
      return launchConfigurations(clients.autoScaling);
    case 'batch:ComputeEnvironment':
      return batchComputeEnvironments(clients.batch);
    case 'ec2:SpotFleetRequest':
      return spotFleetRequests(clients.ec2);
    case 'elasticmapreduce:Cluster':
      return emrClusters(clients.emr);
  }
}

async function launchConfigurations(client: AutoScalingClient): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  for await (const page of paginateDescribeLaunchConfigurations({ client, pageSize: 100 }, {})) {
    if (page.LaunchConfigurations === undefined) throw new MalformedAnswerError('DescribeLaunchConfigurations', 'no LaunchConfigurations');
    for (const config of page.LaunchConfigurations) {
      if (!config.ImageId) continue;
      if (!config.LaunchConfigurationARN) throw new MalformedAnswerError('DescribeLaunchConfigurations', `${config.LaunchConfigurationName ?? '?'} has no ARN`);
      found.push({ imageId: config.ImageId, resourceType: 'autoscaling:LaunchConfiguration', arn: config.LaunchConfigurationARN });
    }
  }
  return found;
}

async function batchComputeEnvironments(client: BatchClient): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  for await (const page of paginateDescribeComputeEnvironments({ client, pageSize: 100 }, {})) {
    if (page.computeEnvironments === undefined) throw new MalformedAnswerError('DescribeComputeEnvironments', 'no computeEnvironments');
    for (const environment of page.computeEnvironments) {
      const arn = environment.computeEnvironmentArn;
      const resources = environment.computeResources;
      const images = [resources?.imageId, ...(resources?.ec2Configuration ?? []).map((c) => c.imageIdOverride)].filter((i): i is string => !!i);
      if (images.length === 0) continue;
      if (!arn) throw new MalformedAnswerError('DescribeComputeEnvironments', `${environment.computeEnvironmentName ?? '?'} has no ARN`);
      for (const imageId of new Set(images)) found.push({ imageId, resourceType: 'batch:ComputeEnvironment', arn });
    }
  }
  return found;
}

async function spotFleetRequests(client: EC2Client): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  for await (const page of paginateDescribeSpotFleetRequests({ client, pageSize: 1000 }, {})) {
    if (page.SpotFleetRequestConfigs === undefined) throw new MalformedAnswerError('DescribeSpotFleetRequests', 'no spotFleetRequestConfigSet');
    for (const request of page.SpotFleetRequestConfigs) {
      if (SPOT_FLEET_FINISHED.has(request.SpotFleetRequestState ?? '')) continue;
      const id = request.SpotFleetRequestId;
      const images = (request.SpotFleetRequestConfig?.LaunchSpecifications ?? []).map((s) => s.ImageId).filter((i): i is string => !!i);
      if (images.length === 0) continue;
      if (!id) throw new MalformedAnswerError('DescribeSpotFleetRequests', 'a request without spotFleetRequestId');
      const region = await client.config.region();
      const account = accountOf(request.SpotFleetRequestConfig?.IamFleetRole);
      const arn = `arn:aws:ec2:${region}:${account}:spot-fleet-request/${id}`;
      for (const imageId of new Set(images)) found.push({ imageId, resourceType: 'ec2:SpotFleetRequest', arn });
    }
  }
  return found;
}

/** The account ID from an IAM role ARN, or empty when there is none (the ARN then has no account). */
const accountOf = (roleArn: string | undefined): string => /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(roleArn ?? '')?.[1] ?? '';

async function emrClusters(client: EMRClient): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  for await (const page of paginateListClusters({ client }, { ClusterStates: EMR_NOT_TERMINATED })) {
    if (page.Clusters === undefined) throw new MalformedAnswerError('ListClusters', 'no Clusters');
    for (const summary of page.Clusters) {
      if (!summary.Id) throw new MalformedAnswerError('ListClusters', 'a cluster without Id');
      const { Cluster: cluster } = await client.send(new DescribeClusterCommand({ ClusterId: summary.Id }));
      if (cluster === undefined) throw new MalformedAnswerError('DescribeCluster', `no Cluster for ${summary.Id}`);
      if (!cluster.CustomAmiId) continue;
      const arn = cluster.ClusterArn ?? summary.ClusterArn;
      if (!arn) throw new MalformedAnswerError('DescribeCluster', `${summary.Id} has no ClusterArn`);
      found.push({ imageId: cluster.CustomAmiId, resourceType: 'elasticmapreduce:Cluster', arn });
    }
  }
  return found;
}
