// The places beyond DescribeImageReferences that name an AMI directly: resource types it does not
// report (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-ami-references.html). Each lists, for one region, every resource naming any AMI; the engine
// matches them to images. Every page is read; any error fails the whole source for that region.

import { AutoScalingClient, paginateDescribeLaunchConfigurations, type LaunchConfigurationsType } from '@aws-sdk/client-auto-scaling';
import { BatchClient, paginateDescribeComputeEnvironments, type DescribeComputeEnvironmentsResponse } from '@aws-sdk/client-batch';
import { paginateDescribeSpotFleetRequests, type DescribeSpotFleetRequestsResponse, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EMRClient, paginateListClusters, type ClusterState, type ListClustersOutput } from '@aws-sdk/client-emr';
import type { ExtraSource } from '../contract';
import { roleArnAccount } from '../identifiers';
import type { ImageReference } from '../engine/model';
import { allMembers, identifier, required } from './answers';
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
  const action = 'DescribeLaunchConfigurations';
  const pages = paginateDescribeLaunchConfigurations({ client, pageSize: 100 }, {});
  const spec = { listName: 'LaunchConfigurations', list: (page: LaunchConfigurationsType) => page.LaunchConfigurations, token: (page: LaunchConfigurationsType) => page.NextToken };
  for await (const config of allMembers(action, pages, spec)) {
    const name = config.LaunchConfigurationName ?? '?';
    // ImageId is required of a launch configuration: one without it is not an answer to trust.
    const imageId = identifier(action, 'imageId', config.ImageId, `the ImageId of ${name}`);
    const arn = identifier(action, 'arn', config.LaunchConfigurationARN, `the ARN of ${name}`);
    found.push({ imageId, resourceType: 'autoscaling:LaunchConfiguration', arn });
  }
  return found;
}

async function batchComputeEnvironments(client: BatchClient): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  const action = 'DescribeComputeEnvironments';
  const pages = paginateDescribeComputeEnvironments({ client, pageSize: 100 }, {});
  const spec = {
    listName: 'computeEnvironments',
    list: (page: DescribeComputeEnvironmentsResponse) => page.computeEnvironments,
    token: (page: DescribeComputeEnvironmentsResponse) => page.nextToken,
  };
  for await (const environment of allMembers(action, pages, spec)) {
    const name = environment.computeEnvironmentName ?? '?';
    const resources = environment.computeResources;
    const named = [resources?.imageId, ...(resources?.ec2Configuration ?? []).map((c) => c.imageIdOverride)].filter((i): i is string => !!i);
    if (named.length === 0) continue;
    const images = named.map((imageId) => identifier(action, 'imageId', imageId, `an image of ${name}`));
    const arn = identifier(action, 'arn', environment.computeEnvironmentArn, `the ARN of ${name}`);
    for (const imageId of new Set(images)) found.push({ imageId, resourceType: 'batch:ComputeEnvironment', arn });
  }
  return found;
}

async function spotFleetRequests(client: EC2Client): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  const action = 'DescribeSpotFleetRequests';
  const pages = paginateDescribeSpotFleetRequests({ client, pageSize: 1000 }, {});
  const spec = {
    listName: 'spotFleetRequestConfigSet',
    list: (page: DescribeSpotFleetRequestsResponse) => page.SpotFleetRequestConfigs,
    token: (page: DescribeSpotFleetRequestsResponse) => page.NextToken,
  };
  for await (const request of allMembers(action, pages, spec)) {
    if (SPOT_FLEET_FINISHED.has(request.SpotFleetRequestState ?? '')) continue;
    const named = (request.SpotFleetRequestConfig?.LaunchSpecifications ?? []).map((s) => s.ImageId).filter((i): i is string => !!i);
    if (named.length === 0) continue;
    const id = required(action, request.SpotFleetRequestId, 'a request\'s spotFleetRequestId');
    const images = named.map((imageId) => identifier(action, 'imageId', imageId, `an image of ${id}`));
    const region = await client.config.region();
    // The account, from the fleet role's ARN; empty when that is not one (the ARN then names no account).
    const account = roleArnAccount(request.SpotFleetRequestConfig?.IamFleetRole) ?? '';
    const arn = `arn:aws:ec2:${region}:${account}:spot-fleet-request/${id}`;
    for (const imageId of new Set(images)) found.push({ imageId, resourceType: 'ec2:SpotFleetRequest', arn });
  }
  return found;
}

async function emrClusters(client: EMRClient): Promise<ImageReference[]> {
  const found: ImageReference[] = [];
  const pages = paginateListClusters({ client }, { ClusterStates: EMR_NOT_TERMINATED });
  const spec = { listName: 'Clusters', list: (page: ListClustersOutput) => page.Clusters, token: (page: ListClustersOutput) => page.Marker };
  for await (const summary of allMembers('ListClusters', pages, spec)) {
    const clusterId = required('ListClusters', summary.Id, 'a cluster\'s Id');
    const { Cluster: cluster } = await client.send(new DescribeClusterCommand({ ClusterId: clusterId }));
    if (cluster === undefined) throw new MalformedAnswerError('DescribeCluster', `no Cluster for ${clusterId}`);
    if (!cluster.CustomAmiId) continue;
    const imageId = identifier('DescribeCluster', 'imageId', cluster.CustomAmiId, `the CustomAmiId of ${clusterId}`);
    const arn = identifier('DescribeCluster', 'arn', cluster.ClusterArn ?? summary.ClusterArn, `the ClusterArn of ${clusterId}`);
    found.push({ imageId, resourceType: 'elasticmapreduce:Cluster', arn });
  }
  return found;
}
