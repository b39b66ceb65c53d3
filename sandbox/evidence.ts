/**
 * The services that name AMIs where DescribeImageReferences does not look: Auto Scaling
 * (awsQuery), AWS Batch (restJson1), EMR (awsJson1_1) and Recycle Bin (restJson1). Response
 * shapes follow the schemas/serializers of the installed SDK clients (client-auto-scaling 3.1169,
 * client-batch 3.1138, client-emr 3.1089, client-rbin 3.523).
 */
import {
  batchComputeEnvironmentArn,
  deterministicHex,
  deterministicUuid,
  emrClusterArn,
  launchConfigurationArn,
  recycleBinRuleArn,
} from './builder';
import { leaf, str } from './query';
import { ApiError, SandboxState } from './state';
import { makeToken, readToken } from './tokens';
import type {
  BatchComputeEnvironmentRecord,
  EmrClusterRecord,
  EmrClusterState,
  ParamValue,
  Params,
  RecycleBinRuleRecord,
  ServiceName,
} from './types';
import { EMR_CLUSTER_STATES } from './types';

export const AUTOSCALING_NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

/** An ApiError whose JSON error document carries extra members (e.g. Recycle Bin's `Reason`). */
export class JsonApiError extends ApiError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly fields: Record<string, string>,
  ) {
    super(code, message, status);
  }
}

/** A parsed JSON request body (an object; anything else is treated as `{}`). */
export type JsonObject = Record<string, unknown>;

/**
 * The JSON body as a params tree (what call records and fault rules see): numbers and booleans
 * become strings, null is dropped.
 */
export function jsonToParams(value: JsonObject): Params {
  const conv = (v: unknown): ParamValue | undefined => {
    if (v === null || v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(conv).filter((x): x is ParamValue => x !== undefined);
    if (typeof v === 'object') {
      const out = Object.create(null) as { [key: string]: ParamValue };
      for (const [k, x] of Object.entries(v as JsonObject)) {
        const c = conv(x);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    return undefined;
  };
  const p = conv(value);
  return p && typeof p === 'object' && !Array.isArray(p) ? p : {};
}

// ---------------------------------------------------------------- pagination

function page<T>(
  state: SandboxState,
  kind: string,
  binding: unknown,
  all: T[],
  raw: string | undefined,
  asked: number,
  fail: (msg: string) => ApiError,
): { items: T[]; next?: string } {
  const offset = readToken(kind, binding, raw, fail);
  const limit = state.pageCap === undefined ? asked : Math.min(asked, state.pageCap);
  const items = all.slice(offset, offset + limit);
  return offset + limit < all.length ? { items, next: makeToken(kind, binding, offset + limit) } : { items };
}

const epochSeconds = (iso: string): number => Date.parse(iso) / 1000;

// ---------------------------------------------------------------- Auto Scaling (awsQuery)

/** Query lists: `Names.member.1` decodes to `{ Names: { member: [..] } }`. */
function memberList(params: Params, key: string): string[] {
  const v = params[key];
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  const m = v.member;
  if (typeof m === 'string') return [m];
  return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
}

/** Runs one Auto Scaling action; returns the XML inside `<ActionResult>`. */
export function handleAutoScaling(state: SandboxState, region: string, action: string, params: Params): string {
  if (action !== 'DescribeLaunchConfigurations') {
    throw new ApiError('InvalidAction', `Could not find operation ${action} for version 2011-01-01`);
  }
  const names = memberList(params, 'LaunchConfigurationNames');
  if (names.length > 50) {
    throw new ApiError('ValidationError', '1 validation error detected: Value at \'launchConfigurationNames\' failed to satisfy constraint: Member must have length less than or equal to 50');
  }
  const rawMax = str(params, 'MaxRecords');
  let limit = 50;
  if (rawMax !== undefined) {
    const n = Number(rawMax);
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      throw new ApiError(
        'ValidationError',
        `1 validation error detected: Value '${rawMax}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`,
      );
    }
    limit = n;
  }
  const wanted = new Set(names);
  const all = state.launchConfigurations
    .filter((lc) => lc.region === region && (wanted.size === 0 || wanted.has(lc.name)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { items, next } = page(
    state,
    'DescribeLaunchConfigurations',
    { region, names },
    all,
    str(params, 'NextToken'),
    limit,
    (m) => new ApiError('InvalidNextToken', m),
  );
  const members = items.map(
    (lc) =>
      `<member>${leaf('LaunchConfigurationName', lc.name)}${leaf('LaunchConfigurationARN', launchConfigurationArn(state.accountId, lc))}${leaf(
        'ImageId',
        lc.imageId,
      )}${leaf('KeyName', '')}<SecurityGroups/>${leaf('UserData', '')}${leaf('InstanceType', lc.instanceType)}${leaf('KernelId', '')}${leaf(
        'RamdiskId',
        '',
      )}<BlockDeviceMappings/><InstanceMonitoring>${leaf('Enabled', true)}</InstanceMonitoring>${leaf('CreatedTime', lc.createdTime)}${leaf(
        'EbsOptimized',
        false,
      )}</member>`,
  );
  return `<LaunchConfigurations>${members.join('')}</LaunchConfigurations>${leaf('NextToken', next)}`;
}

// ---------------------------------------------------------------- JSON services: routing

export type JsonService = Extract<ServiceName, 'batch' | 'elasticmapreduce' | 'rbin'>;

export const JSON_SERVICES: readonly JsonService[] = ['batch', 'elasticmapreduce', 'rbin'];

export interface JsonRequest {
  method: string;
  path: string;
  /** X-Amz-Target (awsJson). */
  target?: string;
  body: JsonObject;
}

export interface JsonRoute {
  action: string;
  /** Path parameters (e.g. the Recycle Bin rule identifier). */
  pathParams: Record<string, string>;
}

/** The action a JSON request names, or undefined when the service has no such operation. */
export function jsonRoute(service: JsonService, req: JsonRequest): JsonRoute | undefined {
  switch (service) {
    case 'batch':
      if (req.method === 'POST' && req.path === '/v1/describecomputeenvironments') {
        return { action: 'DescribeComputeEnvironments', pathParams: {} };
      }
      return undefined;
    case 'elasticmapreduce': {
      const m = /^ElasticMapReduce\.(\w+)$/.exec(req.target ?? '');
      return m ? { action: m[1] as string, pathParams: {} } : undefined;
    }
    case 'rbin': {
      if (req.method === 'POST' && req.path === '/list-rules') return { action: 'ListRules', pathParams: {} };
      const m = /^\/rules\/([^/]+)$/.exec(req.path);
      if (m && req.method === 'GET') return { action: 'GetRule', pathParams: { Identifier: decodeURIComponent(m[1] as string) } };
      return undefined;
    }
  }
}

/** The service a request without a (known) credential scope most likely targets. */
export function jsonServiceFromTarget(target: string | undefined): JsonService | undefined {
  return target?.startsWith('ElasticMapReduce.') ? 'elasticmapreduce' : undefined;
}

/** The JSON content type each protocol answers with. */
export function jsonContentType(service: JsonService): string {
  return service === 'elasticmapreduce' ? 'application/x-amz-json-1.1' : 'application/json';
}

/** The JSON error document and headers of a service. */
export function jsonError(service: JsonService, err: ApiError): { headers: Record<string, string>; body: string } {
  const fields = err instanceof JsonApiError ? err.fields : {};
  switch (service) {
    case 'elasticmapreduce':
      return {
        headers: { 'Content-Type': jsonContentType(service) },
        body: JSON.stringify({ __type: err.code, message: err.message, ...fields }),
      };
    case 'batch':
      return {
        headers: { 'Content-Type': jsonContentType(service), 'x-amzn-errortype': err.code },
        body: JSON.stringify({ message: err.message, ...fields }),
      };
    case 'rbin':
      return {
        headers: { 'Content-Type': jsonContentType(service), 'x-amzn-errortype': err.code },
        body: JSON.stringify({ Message: err.message, ...fields }),
      };
  }
}

/** Runs one JSON-protocol action; returns the response document. */
export function handleJson(state: SandboxState, region: string, service: JsonService, route: JsonRoute, body: JsonObject): JsonObject {
  switch (service) {
    case 'batch':
      return describeComputeEnvironments(state, region, body);
    case 'elasticmapreduce':
      if (route.action === 'ListClusters') return listClusters(state, region, body);
      if (route.action === 'DescribeCluster') return describeCluster(state, region, body);
      throw new ApiError('UnknownOperationException', `Unknown operation ElasticMapReduce.${route.action}`, 400);
    case 'rbin':
      if (route.action === 'ListRules') return listRules(state, region, body);
      return getRule(state, region, route.pathParams.Identifier ?? '');
  }
}

function optInt(body: JsonObject, key: string, min: number, max: number, fail: (msg: string) => ApiError): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw fail(`${key} must be an integer between ${min} and ${max}.`);
  }
  return v;
}

function optString(body: JsonObject, key: string, fail: (msg: string) => ApiError): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw fail(`${key} must be a string.`);
  return v;
}

function optStringList(body: JsonObject, key: string, fail: (msg: string) => ApiError): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw fail(`${key} must be a list of strings.`);
  return v as string[];
}

// ---------------------------------------------------------------- AWS Batch

const BATCH_IMAGE_TYPES = ['ECS_AL2023', 'ECS_AL2', 'ECS_AL2023_NVIDIA', 'ECS_AL2_NVIDIA', 'ECS_AL1'];

function computeEnvironmentJson(state: SandboxState, ce: BatchComputeEnvironmentRecord): JsonObject {
  const me = state.accountId;
  const hex = deterministicHex(17, me, ce.region, ce.name);
  const ec2Configuration =
    ce.imageIdOverrides.length > 0
      ? ce.imageIdOverrides.map((imageIdOverride, i) => ({
          imageType: BATCH_IMAGE_TYPES[i % BATCH_IMAGE_TYPES.length] as string,
          imageIdOverride,
        }))
      : [{ imageType: 'ECS_AL2' }];
  return {
    computeEnvironmentName: ce.name,
    computeEnvironmentArn: batchComputeEnvironmentArn(me, ce),
    ecsClusterArn: `arn:aws:ecs:${ce.region}:${me}:cluster/AWSBatch-${ce.name}-${deterministicUuid(me, 'ecs', ce.region, ce.name)}`,
    tags: {},
    type: 'MANAGED',
    state: ce.state,
    status: ce.status,
    statusReason: ce.status === 'VALID' ? 'ComputeEnvironment Healthy' : `ComputeEnvironment is ${ce.status}`,
    computeResources: {
      type: ce.computeType,
      minvCpus: 0,
      maxvCpus: 256,
      desiredvCpus: 0,
      instanceTypes: ['optimal'],
      ...(ce.imageId !== undefined ? { imageId: ce.imageId } : {}),
      subnets: [`subnet-${hex}`],
      securityGroupIds: [`sg-${hex}`],
      instanceRole: `arn:aws:iam::${me}:instance-profile/ecsInstanceRole`,
      tags: {},
      ec2Configuration,
    },
    serviceRole: `arn:aws:iam::${me}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch`,
    updatePolicy: { terminateJobsOnUpdate: false, jobExecutionTimeoutMinutes: 30 },
    containerOrchestrationType: 'ECS',
    uuid: deterministicUuid(me, 'batch', ce.region, ce.name),
  };
}

function describeComputeEnvironments(state: SandboxState, region: string, body: JsonObject): JsonObject {
  const fail = (m: string): ApiError => new ApiError('ClientException', m, 400);
  const names = optStringList(body, 'computeEnvironments', fail) ?? [];
  if (names.length > 100) throw fail('computeEnvironments: at most 100 names or ARNs.');
  const limit = optInt(body, 'maxResults', 1, 100, fail) ?? 100;
  const nextToken = optString(body, 'nextToken', fail);
  const me = state.accountId;
  const wanted = new Set(names);
  const all = state.batchComputeEnvironments.filter(
    (ce) => ce.region === region && (wanted.size === 0 || wanted.has(ce.name) || wanted.has(batchComputeEnvironmentArn(me, ce))),
  );
  const { items, next } = page(state, 'DescribeComputeEnvironments', { region, names }, all, nextToken, limit, fail);
  return { computeEnvironments: items.map((ce) => computeEnvironmentJson(state, ce)), ...(next ? { nextToken: next } : {}) };
}

// ---------------------------------------------------------------- EMR

const EMR_PAGE = 50;
const invalidRequest = (m: string): ApiError => new ApiError('InvalidRequestException', m, 400);

function emrStatus(c: EmrClusterRecord): JsonObject {
  const created = epochSeconds(c.creationTime);
  const ready = !['STARTING', 'BOOTSTRAPPING'].includes(c.state) && c.state !== 'TERMINATED_WITH_ERRORS';
  const ended = c.state === 'TERMINATED' || c.state === 'TERMINATED_WITH_ERRORS';
  const reason =
    c.state === 'TERMINATED'
      ? { Code: 'USER_REQUEST', Message: 'Terminated by user request' }
      : c.state === 'TERMINATED_WITH_ERRORS'
        ? { Code: 'BOOTSTRAP_FAILURE', Message: 'On the master instance, bootstrap action 1 returned a non-zero return code' }
        : c.state === 'WAITING'
          ? { Message: 'Cluster ready to run steps.' }
          : c.state === 'RUNNING'
            ? { Message: 'Running step' }
            : {};
  return {
    State: c.state,
    StateChangeReason: reason,
    Timeline: {
      CreationDateTime: created,
      ...(ready ? { ReadyDateTime: created + 600 } : {}),
      ...(ended ? { EndDateTime: created + 86_400 } : {}),
    },
  };
}

function listClusters(state: SandboxState, region: string, body: JsonObject): JsonObject {
  const states = optStringList(body, 'ClusterStates', invalidRequest) ?? [];
  for (const s of states) {
    if (!(EMR_CLUSTER_STATES as readonly string[]).includes(s)) throw invalidRequest(`Invalid cluster state: ${s}`);
  }
  const after = body.CreatedAfter;
  const before = body.CreatedBefore;
  if ((after !== undefined && typeof after !== 'number') || (before !== undefined && typeof before !== 'number')) {
    throw invalidRequest('CreatedAfter and CreatedBefore must be timestamps.');
  }
  const marker = optString(body, 'Marker', invalidRequest);
  const wanted = new Set(states as EmrClusterState[]);
  const all = state.emrClusters
    .filter((c) => {
      if (c.region !== region) return false;
      if (wanted.size > 0 && !wanted.has(c.state)) return false;
      const t = epochSeconds(c.creationTime);
      if (typeof after === 'number' && t < after) return false;
      if (typeof before === 'number' && t > before) return false;
      return true;
    })
    .sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime) || (a.id < b.id ? -1 : 1));
  const { items, next } = page(state, 'ListClusters', { region, states, after, before }, all, marker, EMR_PAGE, invalidRequest);
  const me = state.accountId;
  return {
    Clusters: items.map((c) => ({
      Id: c.id,
      Name: c.name,
      Status: emrStatus(c),
      NormalizedInstanceHours: 0,
      ClusterArn: emrClusterArn(me, c),
    })),
    ...(next ? { Marker: next } : {}),
  };
}

function describeCluster(state: SandboxState, region: string, body: JsonObject): JsonObject {
  const id = optString(body, 'ClusterId', invalidRequest);
  if (!id) throw invalidRequest('ClusterId is required.');
  const c = state.emrClusters.find((x) => x.id === id && x.region === region);
  if (!c) throw invalidRequest(`Cluster id '${id}' is not valid.`);
  return {
    Cluster: {
      Id: c.id,
      Name: c.name,
      Status: emrStatus(c),
      Ec2InstanceAttributes: { Ec2AvailabilityZone: `${region}a`, IamInstanceProfile: 'EMR_EC2_DefaultRole' },
      InstanceCollectionType: 'INSTANCE_GROUP',
      ReleaseLabel: 'emr-7.1.0',
      AutoTerminate: false,
      TerminationProtected: false,
      UnhealthyNodeReplacement: true,
      VisibleToAllUsers: true,
      Applications: [{ Name: 'Spark', Version: '3.5.0' }],
      Tags: [],
      ServiceRole: 'EMR_DefaultRole',
      NormalizedInstanceHours: 0,
      ScaleDownBehavior: 'TERMINATE_AT_TASK_COMPLETION',
      ...(c.customAmiId !== undefined ? { CustomAmiId: c.customAmiId } : {}),
      EbsRootVolumeSize: 15,
      ClusterArn: emrClusterArn(state.accountId, c),
      StepConcurrencyLevel: 1,
    },
  };
}

// ---------------------------------------------------------------- Recycle Bin

const validation = (m: string): ApiError => new JsonApiError('ValidationException', m, 400, { Reason: 'INVALID_PARAMETER_VALUE' });

function retention(r: RecycleBinRuleRecord): JsonObject {
  return { RetentionPeriodValue: r.retentionDays, RetentionPeriodUnit: 'DAYS' };
}

function listRules(state: SandboxState, region: string, body: JsonObject): JsonObject {
  const resourceType = optString(body, 'ResourceType', validation);
  if (resourceType !== 'EC2_IMAGE' && resourceType !== 'EBS_SNAPSHOT') {
    throw validation(`1 validation error detected: Value '${resourceType ?? 'null'}' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [EBS_SNAPSHOT, EC2_IMAGE]`);
  }
  const limit = optInt(body, 'MaxResults', 1, 1000, validation) ?? 1000;
  const lockState = optString(body, 'LockState', validation);
  if (lockState !== undefined && !['locked', 'pending_unlock', 'unlocked'].includes(lockState)) {
    throw validation(`Value '${lockState}' at 'lockState' failed to satisfy constraint: Member must satisfy enum value set: [locked, pending_unlock, unlocked]`);
  }
  const rawTags = body.ResourceTags;
  if (rawTags !== undefined && !Array.isArray(rawTags)) throw validation('ResourceTags must be a list.');
  const tags = (Array.isArray(rawTags) ? rawTags : []).map((t: unknown) => {
    const o = t && typeof t === 'object' ? (t as JsonObject) : {};
    const key = o.ResourceTagKey;
    const value = o.ResourceTagValue;
    if (typeof key !== 'string' || key === '') throw validation('ResourceTagKey is required.');
    return { key, value: typeof value === 'string' ? value : undefined };
  });
  const all = state.recycleBinRules.filter(
    (r) =>
      r.region === region &&
      r.resourceType === resourceType &&
      (lockState === undefined || r.lockState === lockState) &&
      tags.every((t) => r.resourceTags.some((rt) => rt.key === t.key && rt.value === t.value)),
  );
  const { items, next } = page(
    state,
    'ListRules',
    { region, resourceType, lockState, tags },
    all,
    optString(body, 'NextToken', validation),
    limit,
    validation,
  );
  const me = state.accountId;
  return {
    Rules: items.map((r) => ({
      Identifier: r.identifier,
      Description: r.description,
      RetentionPeriod: retention(r),
      LockState: r.lockState,
      RuleArn: recycleBinRuleArn(me, r),
    })),
    ...(next ? { NextToken: next } : {}),
  };
}

function getRule(state: SandboxState, region: string, identifier: string): JsonObject {
  const r = state.recycleBinRules.find((x) => x.identifier === identifier && x.region === region);
  if (!r) {
    throw new JsonApiError('ResourceNotFoundException', `Rule with identifier ${identifier} not found.`, 404, { Reason: 'RULE_NOT_FOUND' });
  }
  return {
    Identifier: r.identifier,
    Description: r.description,
    ResourceType: r.resourceType,
    RetentionPeriod: retention(r),
    ResourceTags: r.resourceTags.map((t) => (t.value !== undefined ? { ResourceTagKey: t.key, ResourceTagValue: t.value } : { ResourceTagKey: t.key })),
    Status: r.status,
    LockState: r.lockState,
    ...(r.lockState !== 'unlocked' ? { LockConfiguration: { UnlockDelay: { UnlockDelayValue: 7, UnlockDelayUnit: 'DAYS' } } } : {}),
    RuleArn: recycleBinRuleArn(state.accountId, r),
  };
}
