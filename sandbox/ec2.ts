import { deterministicHex, instanceArn, launchTemplateArn, recipeArn, ssmParameterArn } from './builder';
import { bool, globToRegExp, itemSet, leaf, objList, str, strList } from './query';
import { ApiError, COOLDOWN_MS, SandboxState } from './state';
import { makeToken as makeBoundToken, readToken as readBoundToken } from './tokens';
import type {
  ImageRecord,
  ImageUsageRecord,
  ImageUsageReportRecord,
  ImageUsageResourceType,
  InstanceState,
  Params,
  SnapshotRecord,
  SpotFleetRequestRecord,
  Tag,
  ThrottleClass,
} from './types';
import { INSTANCE_STATES } from './types';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const IMAGE_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const SNAPSHOT_ID = /^snap-([0-9a-f]{8}|[0-9a-f]{17})$/;
const RESOURCE_TYPES = [
  'ec2:Instance',
  'ec2:LaunchTemplate',
  'ssm:Parameter',
  'imagebuilder:ImageRecipe',
  'imagebuilder:ContainerRecipe',
] as const;
type ResourceType = (typeof RESOURCE_TYPES)[number];

/** The throttling class of an EC2 action (token bucket per region and class). */
export function throttleClassOf(action: string): ThrottleClass {
  if (/^(Describe|Get|List)/.test(action)) return 'describe';
  if (action === 'CreateTags' || action === 'DeleteTags') return 'tags';
  if (
    [
      'DeregisterImage',
      'EnableImageDeregistrationProtection',
      'DisableImageDeregistrationProtection',
      'ModifyImageAttribute',
      'DeleteSnapshot',
    ].includes(action)
  ) {
    return 'deregister';
  }
  return 'mutating';
}

export interface Ec2Context {
  state: SandboxState;
  region: string;
}

type Handler = (ctx: Ec2Context, params: Params) => string;

const handlers: Record<string, Handler> = {
  DescribeImages: describeImages,
  DescribeImageReferences: describeImageReferences,
  GetImageAncestry: getImageAncestry,
  DescribeImageAttribute: describeImageAttribute,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  EnableImageDeregistrationProtection: enableProtection,
  DisableImageDeregistrationProtection: disableProtection,
  DeregisterImage: deregisterImage,
  DisableImage: disableImage,
  EnableImage: enableImage,
  ListImagesInRecycleBin: listImagesInRecycleBin,
  RestoreImageFromRecycleBin: restoreImageFromRecycleBin,
  DescribeSnapshots: describeSnapshots,
  DescribeSpotFleetRequests: describeSpotFleetRequests,
  CreateImageUsageReport: createImageUsageReport,
  DescribeImageUsageReports: describeImageUsageReports,
  DescribeImageUsageReportEntries: describeImageUsageReportEntries,
};

export function isEc2Action(action: string): boolean {
  return Object.prototype.hasOwnProperty.call(handlers, action);
}

/** Runs one EC2 action; returns the XML inside `<ActionResponse>` after `<requestId>`. */
export function handleEc2(ctx: Ec2Context, action: string, params: Params): string {
  const h = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
  if (!h) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  if (bool(params, 'DryRun')) {
    throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
  return h(ctx, params);
}

// ---------------------------------------------------------------- helpers

function checkImageId(id: string): void {
  if (!IMAGE_ID.test(id)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
}

function requireParam(params: Params, name: string): string {
  const v = str(params, name);
  if (v === undefined || v === '') {
    throw new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
  }
  return v;
}

function notFoundImages(ids: string[]): ApiError {
  return new ApiError('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);
}

/** The image, in the caller's region and visible to the account, or InvalidAMIID.NotFound. */
function visibleImage(ctx: Ec2Context, id: string): ImageRecord {
  checkImageId(id);
  const img = ctx.state.imageIn(ctx.region, id);
  if (!img || !ctx.state.canSee(img)) throw notFoundImages([id]);
  return img;
}

/** The image, which the account must own (AuthFailure otherwise). */
function ownedImage(ctx: Ec2Context, id: string): ImageRecord {
  const img = visibleImage(ctx, id);
  if (!ctx.state.isOwned(img)) throw new ApiError('AuthFailure', `Not authorized for image:${id}`);
  return img;
}

function maxResults(params: Params, min: number, max: number): number | undefined {
  const raw = str(params, 'MaxResults');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    );
  }
  return n;
}

/** What a token is bound to: every parameter but NextToken and MaxResults. */
function tokenBinding(params: Params): Params {
  const rest: Params = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'NextToken' && k !== 'MaxResults') rest[k] = v;
  return rest;
}

const makeToken = (action: string, params: Params, offset: number): string => makeBoundToken(action, tokenBinding(params), offset);

const readToken = (action: string, params: Params): number =>
  readBoundToken(action, tokenBinding(params), str(params, 'NextToken'), (message) => new ApiError('InvalidPaginationToken', message));

/** Slices `all` for the page (at most the state's `pageCap`); returns the page and the XML `nextToken` element (or ''). */
function paginate<T>(ctx: Ec2Context, action: string, params: Params, all: T[], asked: number | undefined): [T[], string] {
  const offset = readToken(action, params);
  const cap = ctx.state.pageCap;
  const limit = cap === undefined ? asked : Math.min(asked ?? cap, cap);
  if (limit === undefined) return [all.slice(offset), ''];
  const page = all.slice(offset, offset + limit);
  const next = offset + limit < all.length ? leaf('nextToken', makeToken(action, params, offset + limit)) : '';
  return [page, next];
}

function tagSetXml(tags: Tag[]): string {
  if (tags.length === 0) return '';
  return itemSet(
    'tagSet',
    tags.map((t) => leaf('key', t.key) + leaf('value', t.value)),
  );
}

interface FilterSpec {
  name: string;
  values: RegExp[];
}

function readFilters(params: Params): FilterSpec[] {
  return objList(params, 'Filter').map((f) => {
    const name = str(f, 'Name');
    if (!name) throw new ApiError('InvalidParameterValue', 'The filter name must be given.');
    return { name, values: strList(f, 'Value').map(globToRegExp) };
  });
}

function matchesFilters<T>(
  item: T,
  filters: FilterSpec[],
  valuesOf: (item: T, name: string) => string[] | undefined,
): boolean {
  for (const f of filters) {
    const values = valuesOf(item, f.name);
    if (values === undefined) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    if (!values.some((v) => f.values.some((re) => re.test(v)))) return false;
  }
  return true;
}

function tagFilterValues(tags: Tag[], name: string): string[] | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return tags.filter((t) => t.key === key).map((t) => t.value);
  }
  if (name === 'tag-key') return tags.map((t) => t.key);
  if (name === 'tag-value') return tags.map((t) => t.value);
  return undefined;
}

// ---------------------------------------------------------------- DescribeImages

function imageFilterValues(state: SandboxState, img: ImageRecord, name: string): string[] | undefined {
  const tag = tagFilterValues(img.tags, name);
  if (tag) return tag;
  const opt = (v: string | undefined): string[] => (v === undefined ? [] : [v]);
  switch (name) {
    case 'name':
      return [img.name];
    case 'image-id':
      return [img.imageId];
    case 'state':
      return [img.state];
    case 'is-public':
      return [String(img.public)];
    case 'owner-id':
      return [img.ownerId];
    case 'owner-alias':
      return opt(img.ownerAlias);
    case 'description':
      return opt(img.description);
    case 'architecture':
      return [img.architecture];
    case 'image-type':
      return ['machine'];
    case 'root-device-type':
      return ['ebs'];
    case 'root-device-name':
      return [img.rootDeviceName];
    case 'virtualization-type':
      return ['hvm'];
    case 'hypervisor':
      return ['xen'];
    case 'creation-date':
      return [img.creationDate];
    case 'deprecation-time':
      return opt(img.deprecationTime);
    case 'source-image-id':
      return opt(img.sourceImageId);
    case 'source-image-region':
      return opt(img.sourceImageRegion);
    case 'block-device-mapping.snapshot-id':
      return img.blockDevices.flatMap((b) => opt(b.snapshotId));
    case 'block-device-mapping.volume-size':
      return img.blockDevices.map((b) => String(b.volumeSize));
    case 'block-device-mapping.device-name':
      return img.blockDevices.map((b) => b.deviceName);
    case 'block-device-mapping.volume-type':
      return img.blockDevices.map((b) => b.volumeType);
    case 'block-device-mapping.encrypted':
      return img.blockDevices.map((b) => String(b.encrypted));
    case 'deregistration-protection':
      return [state.protectionValue(img)];
    default:
      return undefined;
  }
}

export function imageXml(state: SandboxState, img: ImageRecord): string {
  const bdm = itemSet(
    'blockDeviceMapping',
    img.blockDevices.map(
      (b) =>
        leaf('deviceName', b.deviceName) +
        (b.snapshotId
          ? `<ebs>${leaf('snapshotId', b.snapshotId)}${leaf('volumeSize', b.volumeSize)}${leaf(
              'deleteOnTermination',
              b.deleteOnTermination,
            )}${leaf('volumeType', b.volumeType)}${leaf('encrypted', b.encrypted)}</ebs>`
          : leaf('virtualName', 'ephemeral0')),
    ),
  );
  return [
    leaf('imageId', img.imageId),
    leaf('imageLocation', `${img.ownerAlias ?? img.ownerId}/${img.name}`),
    leaf('imageState', img.state),
    leaf('imageOwnerId', img.ownerId),
    leaf('creationDate', img.creationDate),
    leaf('isPublic', img.public),
    leaf('architecture', img.architecture),
    leaf('imageType', 'machine'),
    leaf('imageOwnerAlias', img.ownerAlias),
    leaf('name', img.name),
    leaf('description', img.description),
    leaf('rootDeviceType', 'ebs'),
    leaf('rootDeviceName', img.rootDeviceName),
    bdm,
    leaf('virtualizationType', 'hvm'),
    tagSetXml(img.tags),
    leaf('hypervisor', 'xen'),
    leaf('enaSupport', true),
    leaf('sriovNetSupport', 'simple'),
    leaf('bootMode', 'uefi-preferred'),
    leaf('imdsSupport', 'v2.0'),
    leaf('platformDetails', 'Linux/UNIX'),
    leaf('usageOperation', 'RunInstances'),
    leaf('deprecationTime', img.deprecationTime),
    leaf('lastLaunchedTime', img.lastLaunchedTime),
    leaf('deregistrationProtection', state.protectionValue(img)),
    leaf('sourceImageId', img.sourceImageId),
    leaf('sourceImageRegion', img.sourceImageRegion),
    img.state === 'disabled' ? `<stateReason>${leaf('code', 'UserInitiated')}${leaf('message', 'Image disabled')}</stateReason>` : '',
  ].join('');
}

function describeImages(ctx: Ec2Context, params: Params): string {
  const { state, region } = ctx;
  const ids = strList(params, 'ImageId');
  const owners = strList(params, 'Owner');
  const executableBy = strList(params, 'ExecutableBy');
  const includeDeprecated = bool(params, 'IncludeDeprecated') === true;
  const includeDisabled = bool(params, 'IncludeDisabled') === true;
  const limit = maxResults(params, 5, 1000);
  if (limit !== undefined && ids.length > 0) {
    throw new ApiError('InvalidParameterCombination', 'The parameter ImageIds cannot be used with the parameter maxResults');
  }
  const filters = readFilters(params);
  ids.forEach(checkImageId);
  if (ids.length > 0) {
    const missing = ids.filter((id) => {
      const img = state.imageIn(region, id);
      return !img || !state.canSee(img);
    });
    if (missing.length > 0) throw notFoundImages(missing);
  }
  const me = state.accountId;
  const idSet = new Set(ids);
  const candidates = ids.length > 0 ? ids.map((id) => state.imageIn(region, id) as ImageRecord) : state.visibleImages();
  const seen = new Set<string>();
  const result = candidates.filter((img) => {
    if (img.region !== region || !state.canSee(img) || seen.has(img.imageId)) return false;
    seen.add(img.imageId);
    if (idSet.size > 0 && !idSet.has(img.imageId)) return false;
    if (owners.length > 0) {
      const ok = owners.some((o) =>
        o === 'self' ? img.ownerId === me : o === img.ownerId || (img.ownerAlias !== undefined && o === img.ownerAlias),
      );
      if (!ok) return false;
    }
    if (executableBy.length > 0) {
      const ok = executableBy.some((e) => {
        if (e === 'all') return img.public;
        if (e === 'self') return state.canSee(img);
        return state.launchableBy(img, e) || (e === me && img.ownerId === me);
      });
      if (!ok) return false;
    }
    if (img.state === 'disabled' && !includeDisabled) return false;
    if (state.isDeprecated(img) && !includeDeprecated && ids.length === 0 && img.ownerId !== me) return false;
    return matchesFilters(img, filters, (i, n) => imageFilterValues(state, i, n));
  });
  const [page, next] = paginate(ctx, 'DescribeImages', params, result, limit);
  return itemSet(
    'imagesSet',
    page.map((img) => imageXml(state, img)),
  ) + next;
}

// ---------------------------------------------------------------- DescribeImageReferences

interface Reference {
  imageId: string;
  resourceType: ResourceType;
  arn: string;
}

function describeImageReferences(ctx: Ec2Context, params: Params): string {
  const { state, region } = ctx;
  const ids = strList(params, 'ImageId');
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ImageId');
  if (ids.length > 10) {
    throw new ApiError('InvalidParameterValue', `You can specify up to 10 image IDs (${ids.length} given).`);
  }
  ids.forEach(checkImageId);
  const missing = ids.filter((id) => {
    const img = state.imageIn(region, id);
    return !img || !state.canSee(img);
  });
  if (missing.length > 0) throw notFoundImages(missing);
  const limit = maxResults(params, 5, 1000);
  const includeAll = bool(params, 'IncludeAllResourceTypes') === true;
  const typeRequests = objList(params, 'ResourceType');
  if (!includeAll && typeRequests.length === 0) {
    throw new ApiError(
      'InvalidParameterCombination',
      'You must specify either IncludeAllResourceTypes or at least one ResourceType.',
    );
  }
  const wanted = new Set<ResourceType>(includeAll ? RESOURCE_TYPES : []);
  let stateNames: Set<string> | undefined;
  let depth = 10;
  for (const tr of typeRequests) {
    const t = str(tr, 'ResourceType');
    if (!t || !(RESOURCE_TYPES as readonly string[]).includes(t)) {
      throw new ApiError('InvalidParameterValue', `The resource type '${t ?? ''}' is not valid.`);
    }
    wanted.add(t as ResourceType);
    for (const opt of objList(tr, 'ResourceTypeOption')) {
      const name = str(opt, 'OptionName');
      const values = strList(opt, 'OptionValue');
      if (name === 'state-name' && t === 'ec2:Instance') {
        for (const v of values) {
          if (!(INSTANCE_STATES as readonly string[]).includes(v)) {
            throw new ApiError('InvalidParameterValue', `The state-name value '${v}' is not valid.`);
          }
        }
        stateNames = new Set(values);
      } else if (name === 'version-depth' && t === 'ec2:LaunchTemplate') {
        const n = Number(values[0]);
        if (values.length !== 1 || !Number.isInteger(n) || n < 1 || n > 10000) {
          throw new ApiError(
            'InvalidParameterValue',
            `The version-depth value '${values.join(',')}' is not valid. Expecting a value between 1 and 10000.`,
          );
        }
        depth = n;
      } else {
        throw new ApiError('InvalidParameterValue', `The option '${name ?? ''}' is not valid for resource type ${t}.`);
      }
    }
  }
  const idSet = new Set(ids);
  const refs: Reference[] = [];
  const me = state.accountId;
  if (wanted.has('ec2:Instance')) {
    for (const i of state.instances) {
      if (i.region !== region || !idSet.has(i.imageId)) continue;
      if (stateNames && !stateNames.has(i.state as InstanceState)) continue;
      refs.push({ imageId: i.imageId, resourceType: 'ec2:Instance', arn: instanceArn(me, i) });
    }
  }
  if (wanted.has('ec2:LaunchTemplate')) {
    for (const t of state.launchTemplates) {
      if (t.region !== region) continue;
      const recent = [...t.versions].sort((a, b) => b.versionNumber - a.versionNumber).slice(0, depth);
      const named = new Set<string>();
      for (const v of recent) if (v.imageId && idSet.has(v.imageId)) named.add(v.imageId);
      for (const id of named) refs.push({ imageId: id, resourceType: 'ec2:LaunchTemplate', arn: launchTemplateArn(me, t) });
    }
  }
  if (wanted.has('ssm:Parameter')) {
    for (const p of state.ssmParameters) {
      if (p.region === region && idSet.has(p.value)) {
        refs.push({ imageId: p.value, resourceType: 'ssm:Parameter', arn: ssmParameterArn(me, p) });
      }
    }
  }
  for (const r of state.recipes) {
    const type: ResourceType = r.kind === 'image' ? 'imagebuilder:ImageRecipe' : 'imagebuilder:ContainerRecipe';
    if (wanted.has(type) && r.region === region && idSet.has(r.parentImage)) {
      refs.push({ imageId: r.parentImage, resourceType: type, arn: recipeArn(me, r) });
    }
  }
  const [page, next] = paginate(ctx, 'DescribeImageReferences', params, refs, limit);
  return (
    itemSet(
      'imageReferenceSet',
      page.map((r) => leaf('imageId', r.imageId) + leaf('resourceType', r.resourceType) + leaf('arn', r.arn)),
    ) + next
  );
}

// ---------------------------------------------------------------- GetImageAncestry

export const MAX_ANCESTRY = 50;

function getImageAncestry(ctx: Ec2Context, params: Params): string {
  const id = requireParam(params, 'ImageId');
  const first = visibleImage(ctx, id);
  const entries: string[] = [];
  const visited = new Set<string>();
  let cur: ImageRecord | undefined = first;
  while (cur && entries.length < MAX_ANCESTRY && !visited.has(cur.imageId)) {
    visited.add(cur.imageId);
    entries.push(
      leaf('creationDate', cur.creationDate) +
        leaf('imageId', cur.imageId) +
        leaf('imageOwnerAlias', cur.ownerAlias) +
        leaf('sourceImageId', cur.sourceImageId) +
        leaf('sourceImageRegion', cur.sourceImageRegion),
    );
    if (!cur.sourceImageId) break;
    const next: ImageRecord | undefined = ctx.state.image(cur.sourceImageId);
    cur = next && next.region === (cur.sourceImageRegion ?? cur.region) ? next : undefined;
  }
  return itemSet('imageAncestryEntrySet', entries);
}

// ---------------------------------------------------------------- DescribeImageAttribute

function describeImageAttribute(ctx: Ec2Context, params: Params): string {
  const id = requireParam(params, 'ImageId');
  const attribute = requireParam(params, 'Attribute');
  const img = visibleImage(ctx, id);
  const { state } = ctx;
  const value = (v: string | undefined): string => (v === undefined ? '' : `<value>${escapeValue(v)}</value>`);
  let body: string;
  switch (attribute) {
    case 'launchPermission': {
      if (!state.isOwned(img)) throw new ApiError('AuthFailure', `Not authorized for image:${id}`);
      const perms = [
        ...(img.public ? ['<group>all</group>'] : []),
        ...img.launchPermissions.map(
          (p) =>
            leaf('userId', p.userId) +
            leaf('group', p.group) +
            leaf('organizationArn', p.organizationArn) +
            leaf('organizationalUnitArn', p.organizationalUnitArn),
        ),
      ];
      body = itemSet('launchPermission', perms);
      break;
    }
    case 'lastLaunchedTime':
      body = `<lastLaunchedTime>${value(img.lastLaunchedTime)}</lastLaunchedTime>`;
      break;
    case 'deregistrationProtection':
      body = `<deregistrationProtection>${value(state.protectionValue(img))}</deregistrationProtection>`;
      break;
    case 'description':
      body = `<description>${value(img.description)}</description>`;
      break;
    case 'blockDeviceMapping':
      body = itemSet(
        'blockDeviceMapping',
        img.blockDevices.map(
          (b) =>
            leaf('deviceName', b.deviceName) +
            (b.snapshotId ? `<ebs>${leaf('snapshotId', b.snapshotId)}${leaf('volumeSize', b.volumeSize)}</ebs>` : ''),
        ),
      );
      break;
    case 'productCodes':
      body = '<productCodes/>';
      break;
    case 'kernel':
    case 'ramdisk':
    case 'sriovNetSupport':
    case 'bootMode':
    case 'tpmSupport':
    case 'uefiData':
    case 'imdsSupport':
      body = `<${attribute}/>`;
      break;
    default:
      throw new ApiError('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
  }
  return leaf('imageId', img.imageId) + body;
}

function escapeValue(v: string): string {
  return leaf('x', v).slice(3, -4);
}

// ---------------------------------------------------------------- tags

interface Taggable {
  tags: Tag[];
}

function taggable(ctx: Ec2Context, id: string): Taggable {
  if (id.startsWith('ami-')) {
    const img = visibleImage(ctx, id);
    if (!ctx.state.isOwned(img)) {
      throw new ApiError('UnauthorizedOperation', `You are not authorized to perform this operation on ${id}.`);
    }
    return img;
  }
  if (id.startsWith('snap-')) return ownedSnapshot(ctx, id);
  throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
}

function ownedSnapshot(ctx: Ec2Context, id: string): SnapshotRecord {
  if (!SNAPSHOT_ID.test(id)) throw new ApiError('InvalidSnapshotID.Malformed', `Invalid id: "${id}" (expecting "snap-...")`);
  const s = ctx.state.snapshots.find((x) => x.snapshotId === id && x.region === ctx.region);
  if (!s || s.ownerId !== ctx.state.accountId) {
    throw new ApiError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  }
  return s;
}

export const MAX_TAGS = 50;

function createTags(ctx: Ec2Context, params: Params): string {
  const ids = strList(params, 'ResourceId');
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const tags = objList(params, 'Tag').map((t) => ({ key: str(t, 'Key') ?? '', value: str(t, 'Value') ?? '' }));
  if (tags.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter tagSet');
  for (const t of tags) {
    if (t.key.length < 1 || t.key.length > 128) {
      throw new ApiError(
        'InvalidParameterValue',
        `Tag key must be between 1 and 128 characters long: '${t.key.slice(0, 140)}'`,
      );
    }
    if (t.value.length > 256) {
      throw new ApiError('InvalidParameterValue', `Tag value exceeds the maximum length of 256 characters for key '${t.key}'`);
    }
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw new ApiError(
        'InvalidParameterValue',
        `Value ( ${t.key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`,
      );
    }
  }
  const targets = ids.map((id) => taggable(ctx, id));
  for (const r of targets) {
    const keys = new Set(r.tags.map((t) => t.key));
    for (const t of tags) keys.add(t.key);
    if (keys.size > MAX_TAGS) {
      throw new ApiError('TagLimitExceeded', `The maximum number of tags for a resource (${MAX_TAGS}) has been exceeded.`);
    }
  }
  for (const r of targets) {
    for (const t of tags) {
      const existing = r.tags.find((x) => x.key === t.key);
      if (existing) existing.value = t.value;
      else r.tags.push({ key: t.key, value: t.value });
    }
  }
  return leaf('return', true);
}

function deleteTags(ctx: Ec2Context, params: Params): string {
  const ids = strList(params, 'ResourceId');
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const specs = objList(params, 'Tag').map((t) => ({ key: str(t, 'Key') ?? '', value: str(t, 'Value') }));
  const targets = ids.map((id) => taggable(ctx, id));
  for (const r of targets) {
    if (specs.length === 0) {
      r.tags.splice(0, r.tags.length);
      continue;
    }
    const keep = r.tags.filter(
      (t) => !specs.some((s) => s.key === t.key && (s.value === undefined || s.value === t.value)),
    );
    r.tags.splice(0, r.tags.length, ...keep);
  }
  return leaf('return', true);
}

// ---------------------------------------------------------------- protection and deregistration

function enableProtection(ctx: Ec2Context, params: Params): string {
  const img = ownedImage(ctx, requireParam(params, 'ImageId'));
  img.deregistrationProtection = bool(params, 'WithCooldown') === true ? 'enabled-with-cooldown' : 'enabled-without-cooldown';
  delete img.protectionCooldownUntil;
  return leaf('return', 'true');
}

function disableProtection(ctx: Ec2Context, params: Params): string {
  const img = ownedImage(ctx, requireParam(params, 'ImageId'));
  if (img.deregistrationProtection === 'enabled-with-cooldown') {
    img.protectionCooldownUntil = new Date(ctx.state.clock().getTime() + COOLDOWN_MS).toISOString();
  }
  img.deregistrationProtection = 'disabled';
  return leaf('return', 'true');
}

/**
 * DisableImage as AWS documents it: owner only; the image becomes `disabled`, every launch
 * permission goes (a public or shared image becomes private, and EnableImage does not bring the
 * shares back); DescribeImages hides it unless IncludeDisabled.
 */
function disableImage(ctx: Ec2Context, params: Params): string {
  const img = ownedImage(ctx, requireParam(params, 'ImageId'));
  img.state = 'disabled';
  img.launchPermissions = [];
  img.public = false;
  return leaf('return', 'true');
}

/** EnableImage: a disabled image is `available` again, with no launch permissions. */
function enableImage(ctx: Ec2Context, params: Params): string {
  const img = ownedImage(ctx, requireParam(params, 'ImageId'));
  if (img.state !== 'disabled') throw new ApiError('IncorrectState', `The image ${img.imageId} is not disabled.`);
  img.state = 'available';
  return leaf('return', 'true');
}

/** A deregistered image a retention rule for AMIs covers (every image, or one carrying a rule's tag) goes to the bin. */
function keepInRecycleBin(state: SandboxState, img: ImageRecord): void {
  const rule = state.recycleBinRules.find(
    (r) =>
      r.region === img.region &&
      r.resourceType === 'EC2_IMAGE' &&
      r.status === 'available' &&
      (r.resourceTags.length === 0 || r.resourceTags.some((t) => img.tags.some((it) => it.key === t.key && (t.value === undefined || t.value === '' || it.value === t.value)))),
  );
  if (rule === undefined) return;
  const now = state.clock().getTime();
  state.recycleBinImages.push({
    image: img,
    enteredAt: new Date(now).toISOString(),
    retainUntil: new Date(now + rule.retentionDays * 86_400_000).toISOString(),
  });
}

function listImagesInRecycleBin(ctx: Ec2Context, params: Params): string {
  const ids = strList(params, 'ImageId');
  ids.forEach(checkImageId);
  const held = ctx.state.recycleBinImages.filter((e) => e.image.region === ctx.region && (ids.length === 0 || ids.includes(e.image.imageId)));
  return itemSet(
    'imageSet',
    held.map((e) =>
      [leaf('imageId', e.image.imageId), leaf('name', e.image.name), leaf('recycleBinEnterTime', e.enteredAt), leaf('recycleBinExitTime', e.retainUntil)].join(''),
    ),
  );
}

function restoreImageFromRecycleBin(ctx: Ec2Context, params: Params): string {
  const id = requireParam(params, 'ImageId');
  checkImageId(id);
  const bin = ctx.state.recycleBinImages;
  const entry = bin.find((e) => e.image.imageId === id && e.image.region === ctx.region);
  if (entry === undefined) throw new ApiError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist in the Recycle Bin`);
  bin.splice(bin.indexOf(entry), 1);
  ctx.state.images.push(entry.image);
  return leaf('return', 'true');
}

function deregisterImage(ctx: Ec2Context, params: Params): string {
  const { state } = ctx;
  const img = ownedImage(ctx, requireParam(params, 'ImageId'));
  if (state.isProtected(img)) {
    const until = state.inCooldown(img) ? ` until ${img.protectionCooldownUntil}` : '';
    throw new ApiError(
      'InvalidParameterValue',
      `Unable to deregister ${img.imageId}: deregistration protection is enabled${until}. Disable deregistration protection and try again.`,
    );
  }
  state.removeImage(img);
  keepInRecycleBin(state, img);
  if (bool(params, 'DeleteAssociatedSnapshots') !== true) return leaf('return', true);
  const results: string[] = [];
  for (const b of img.blockDevices) {
    if (!b.snapshotId) continue;
    const snapId = b.snapshotId;
    let code: string;
    const snap = state.snapshots.find((s) => s.snapshotId === snapId && s.region === img.region);
    const usedElsewhere = state.images.some(
      (other) => other.region === img.region && other.blockDevices.some((ob) => ob.snapshotId === snapId),
    );
    if (!snap) code = 'client-error';
    else if (usedElsewhere) code = 'skipped';
    else if (snap.deleteResult) code = snap.deleteResult;
    else {
      state.snapshots.splice(state.snapshots.indexOf(snap), 1);
      code = 'success';
    }
    results.push(leaf('snapshotId', snapId) + leaf('returnCode', code));
  }
  return leaf('return', true) + itemSet('deleteSnapshotResultSet', results);
}

// ---------------------------------------------------------------- DescribeSnapshots

function snapshotFilterValues(s: SnapshotRecord, name: string): string[] | undefined {
  const tag = tagFilterValues(s.tags, name);
  if (tag) return tag;
  switch (name) {
    case 'snapshot-id':
      return [s.snapshotId];
    case 'owner-id':
      return [s.ownerId];
    case 'description':
      return [s.description];
    case 'volume-size':
      return [String(s.volumeSize)];
    case 'status':
      return ['completed'];
    case 'encrypted':
      return [String(s.encrypted)];
    case 'start-time':
      return [s.startTime];
    default:
      return undefined;
  }
}

function describeSnapshots(ctx: Ec2Context, params: Params): string {
  const { state, region } = ctx;
  const ids = strList(params, 'SnapshotId');
  const owners = strList(params, 'Owner');
  const limit = maxResults(params, 5, 1000);
  if (limit !== undefined && ids.length > 0) {
    throw new ApiError('InvalidParameterCombination', 'The parameter SnapshotIds cannot be used with the parameter maxResults');
  }
  const filters = readFilters(params);
  for (const id of ids) {
    if (!SNAPSHOT_ID.test(id)) throw new ApiError('InvalidSnapshotID.Malformed', `Invalid id: "${id}" (expecting "snap-...")`);
  }
  const me = state.accountId;
  const inRegion = state.snapshots.filter((s) => s.region === region && s.ownerId === me);
  if (ids.length > 0) {
    const missing = ids.filter((id) => !inRegion.some((s) => s.snapshotId === id));
    if (missing.length > 0) {
      throw new ApiError('InvalidSnapshot.NotFound', `The snapshot '${missing.join(', ')}' does not exist.`);
    }
  }
  const idSet = new Set(ids);
  const result = inRegion.filter((s) => {
    if (idSet.size > 0 && !idSet.has(s.snapshotId)) return false;
    if (owners.length > 0 && !owners.some((o) => o === 'self' || o === s.ownerId)) return false;
    return matchesFilters(s, filters, snapshotFilterValues);
  });
  const [page, next] = paginate(ctx, 'DescribeSnapshots', params, result, limit);
  return (
    itemSet(
      'snapshotSet',
      page.map(
        (s) =>
          leaf('snapshotId', s.snapshotId) +
          leaf('volumeId', 'vol-ffffffff') +
          leaf('status', 'completed') +
          leaf('startTime', s.startTime) +
          leaf('progress', '100%') +
          leaf('ownerId', s.ownerId) +
          leaf('volumeSize', s.volumeSize) +
          leaf('description', s.description) +
          leaf('encrypted', s.encrypted) +
          leaf('storageTier', 'standard') +
          tagSetXml(s.tags),
      ),
    ) + next
  );
}

// ---------------------------------------------------------------- DescribeSpotFleetRequests

const SPOT_FLEET_ID = /^sfr-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function spotFleetXml(ctx: Ec2Context, r: SpotFleetRequestRecord): string {
  const activity =
    r.state === 'active' || r.state === 'modifying'
      ? 'fulfilled'
      : r.state === 'submitted'
        ? 'pending_fulfillment'
        : r.state === 'cancelled_terminating'
          ? 'pending_termination'
          : r.state === 'failed'
            ? 'error'
            : undefined;
  const config =
    leaf('allocationStrategy', 'capacityOptimized') +
    leaf('onDemandAllocationStrategy', 'lowestPrice') +
    leaf('excessCapacityTerminationPolicy', 'default') +
    leaf('fulfilledCapacity', r.state === 'active' ? r.targetCapacity : 0) +
    leaf('onDemandFulfilledCapacity', 0) +
    leaf('iamFleetRole', `arn:aws:iam::${ctx.state.accountId}:role/aws-ec2-spot-fleet-tagging-role`) +
    itemSet(
      'launchSpecifications',
      r.imageIds.map((imageId) => leaf('imageId', imageId) + leaf('instanceType', 'm5.large')),
    ) +
    leaf('targetCapacity', r.targetCapacity) +
    leaf('onDemandTargetCapacity', 0) +
    leaf('terminateInstancesWithExpiration', false) +
    leaf('type', 'maintain') +
    leaf('replaceUnhealthyInstances', false) +
    leaf('instanceInterruptionBehavior', 'terminate');
  return (
    leaf('activityStatus', activity) +
    leaf('createTime', r.createTime) +
    `<spotFleetRequestConfig>${config}</spotFleetRequestConfig>` +
    leaf('spotFleetRequestId', r.spotFleetRequestId) +
    leaf('spotFleetRequestState', r.state)
  );
}

function describeSpotFleetRequests(ctx: Ec2Context, params: Params): string {
  const { state, region } = ctx;
  const ids = strList(params, 'SpotFleetRequestId');
  const limit = maxResults(params, 1, 1000);
  for (const id of ids) {
    if (!SPOT_FLEET_ID.test(id)) {
      throw new ApiError('InvalidSpotFleetRequestId.Malformed', `Invalid id: "${id}" (expecting "sfr-...")`);
    }
  }
  const inRegion = state.spotFleetRequests.filter((r) => r.region === region);
  const missing = ids.filter((id) => !inRegion.some((r) => r.spotFleetRequestId === id));
  if (missing.length > 0) {
    throw new ApiError('InvalidSpotFleetRequestId.NotFound', `The spot fleet request ID '${missing.join(', ')}' does not exist`);
  }
  const idSet = new Set(ids);
  const result = ids.length > 0 ? inRegion.filter((r) => idSet.has(r.spotFleetRequestId)) : inRegion;
  const [page, next] = paginate(ctx, 'DescribeSpotFleetRequests', params, result, limit);
  return (
    itemSet(
      'spotFleetRequestConfigSet',
      page.map((r) => spotFleetXml(ctx, r)),
    ) + next
  );
}

// ---------------------------------------------------------------- AMI usage reports

const USAGE_RESOURCE_TYPES: readonly ImageUsageResourceType[] = ['ec2:Instance', 'ec2:LaunchTemplate'];
const REPORT_ID = /^amiur-[0-9a-f]{17}$/;
/** How long a usage report is kept (AWS: 30 days). */
export const USAGE_REPORT_TTL_MS = 30 * 86_400_000;
export const MAX_USAGE_REPORT_ACCOUNTS = 50;

function createImageUsageReport(ctx: Ec2Context, params: Params): string {
  const { state, region } = ctx;
  const img = ownedImage(ctx, requireParam(params, 'ImageId'));
  const typeRequests = objList(params, 'ResourceType');
  if (typeRequests.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ResourceType');
  const types: ImageUsageResourceType[] = [];
  for (const tr of typeRequests) {
    const t = str(tr, 'ResourceType');
    if (!t || !(USAGE_RESOURCE_TYPES as readonly string[]).includes(t)) {
      throw new ApiError('InvalidParameterValue', `The resource type '${t ?? ''}' is not valid. Expecting ec2:Instance or ec2:LaunchTemplate.`);
    }
    if (!types.includes(t as ImageUsageResourceType)) types.push(t as ImageUsageResourceType);
  }
  const accountIds = strList(params, 'AccountId');
  if (accountIds.length > MAX_USAGE_REPORT_ACCOUNTS) {
    throw new ApiError('InvalidParameterValue', `You can specify up to ${MAX_USAGE_REPORT_ACCOUNTS} account IDs.`);
  }
  for (const a of accountIds) {
    if (!/^\d{12}$/.test(a)) throw new ApiError('InvalidParameterValue', `Value (${a}) for parameter AccountId is invalid.`);
  }
  const created = new Date(Math.floor(state.clock().getTime() / 1000) * 1000);
  const reportId = `amiur-${deterministicHex(17, state.accountId, region, img.imageId, state.usageReports.length, created.getTime())}`;
  const wanted = new Set(accountIds);
  const report: ImageUsageReportRecord = {
    reportId,
    imageId: img.imageId,
    region,
    resourceTypes: types,
    accountIds,
    creationTime: created.toISOString(),
    expirationTime: new Date(created.getTime() + USAGE_REPORT_TTL_MS).toISOString(),
    polls: 0,
    readiness: state.usageReportReadiness(img.imageId),
    entries: usageOf(state, img)
      .filter((u) => u.imageId === img.imageId && types.includes(u.resourceType) && (wanted.size === 0 || wanted.has(u.accountId)))
      .map((u) => ({ ...u })),
  };
  state.usageReports.push(report);
  return leaf('reportId', reportId);
}

/**
 * Other accounts' use of an owned image: the declared `imageUsage`, plus in organization mode
 * the instances (not terminated) and launch templates of the other accounts that name it
 * (a declared record wins over the derived one of the same account and resource type).
 */
function usageOf(state: SandboxState, img: ImageRecord): ImageUsageRecord[] {
  const declared = state.imageUsage;
  if (!state.org) return declared;
  const derived: ImageUsageRecord[] = [];
  const has = (accountId: string, t: ImageUsageResourceType): boolean =>
    declared.some((u) => u.imageId === img.imageId && u.accountId === accountId && u.resourceType === t);
  for (const peer of state.org.peers(state.accountId)) {
    const instances = peer.instances.filter((i) => i.region === img.region && i.imageId === img.imageId && i.state !== 'terminated').length;
    const templates = peer.launchTemplates.filter(
      (t) => t.region === img.region && t.versions.some((v) => v.imageId === img.imageId),
    ).length;
    if (instances > 0 && !has(peer.accountId, 'ec2:Instance')) {
      derived.push({ imageId: img.imageId, accountId: peer.accountId, resourceType: 'ec2:Instance', usageCount: instances });
    }
    if (templates > 0 && !has(peer.accountId, 'ec2:LaunchTemplate')) {
      derived.push({ imageId: img.imageId, accountId: peer.accountId, resourceType: 'ec2:LaunchTemplate', usageCount: templates });
    }
  }
  return derived.length === 0 ? declared : [...declared, ...derived];
}

/** The state a report shows at its current poll count. */
function reportState(r: ImageUsageReportRecord): 'pending' | 'available' | 'error' {
  if (r.readiness === 'never') return 'pending';
  if (r.readiness === 'error') return r.polls < 1 ? 'pending' : 'error';
  return r.polls < r.readiness ? 'pending' : 'available';
}

/** The reports of the region named by ReportId / ImageId (NotFound for an unknown report ID). */
function selectReports(ctx: Ec2Context, params: Params): ImageUsageReportRecord[] {
  const reportIds = strList(params, 'ReportId');
  const imageIds = strList(params, 'ImageId');
  for (const id of reportIds) {
    if (!REPORT_ID.test(id)) throw new ApiError('InvalidParameterValue', `Invalid report ID: "${id}" (expecting "amiur-...")`);
  }
  imageIds.forEach(checkImageId);
  const inRegion = ctx.state.usageReports.filter((r) => r.region === ctx.region);
  const missing = reportIds.filter((id) => !inRegion.some((r) => r.reportId === id));
  if (missing.length > 0) {
    throw new ApiError('InvalidImageUsageReportId.NotFound', `The image usage report '${missing.join(', ')}' does not exist`);
  }
  const rs = new Set(reportIds);
  const is = new Set(imageIds);
  return inRegion.filter((r) => (rs.size === 0 || rs.has(r.reportId)) && (is.size === 0 || is.has(r.imageId)));
}

function describeImageUsageReports(ctx: Ec2Context, params: Params): string {
  const limit = maxResults(params, 1, 1000);
  const filters = readFilters(params);
  const reports = selectReports(ctx, params).filter((r) =>
    matchesFilters(r, filters, (x, n) => (n === 'state' ? [reportState(x)] : n === 'creation-time' ? [x.creationTime] : undefined)),
  );
  const [page, next] = paginate(ctx, 'DescribeImageUsageReports', params, reports, limit);
  const items = page.map((r) => {
    const st = reportState(r);
    r.polls += 1;
    return (
      leaf('imageId', r.imageId) +
      leaf('reportId', r.reportId) +
      itemSet(
        'resourceTypeSet',
        r.resourceTypes.map((t) => leaf('resourceType', t)),
      ) +
      (r.accountIds.length > 0 ? itemSet('accountIdSet', r.accountIds.map((a) => escapeValue(a))) : '') +
      leaf('state', st) +
      leaf('stateReason', st === 'error' ? 'The report could not be created.' : undefined) +
      leaf('creationTime', r.creationTime) +
      leaf('expirationTime', r.expirationTime)
    );
  });
  return itemSet('imageUsageReportSet', items) + next;
}

function describeImageUsageReportEntries(ctx: Ec2Context, params: Params): string {
  const limit = maxResults(params, 1, 1000);
  const named = strList(params, 'ReportId').length > 0;
  const reports = selectReports(ctx, params);
  if (named) {
    const notReady = reports.find((r) => reportState(r) !== 'available');
    if (notReady) {
      throw new ApiError(
        'IncorrectState',
        `The image usage report ${notReady.reportId} is not available (state ${reportState(notReady)}).`,
      );
    }
  }
  const filters = readFilters(params);
  const entries = reports
    .filter((r) => reportState(r) === 'available')
    .flatMap((r) => r.entries.map((e) => ({ ...e, reportId: r.reportId, reportCreationTime: r.creationTime })))
    .filter((e) =>
      matchesFilters(e, filters, (x, n) =>
        n === 'account-id' ? [x.accountId] : n === 'resource-type' ? [x.resourceType] : undefined,
      ),
    );
  const [page, next] = paginate(ctx, 'DescribeImageUsageReportEntries', params, entries, limit);
  return (
    itemSet(
      'imageUsageReportEntrySet',
      page.map(
        (e) =>
          leaf('resourceType', e.resourceType) +
          leaf('reportId', e.reportId) +
          leaf('usageCount', e.usageCount) +
          leaf('accountId', e.accountId) +
          leaf('imageId', e.imageId) +
          leaf('reportCreationTime', e.reportCreationTime),
      ),
    ) + next
  );
}
