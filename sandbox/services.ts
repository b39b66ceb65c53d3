import { createHash, randomUUID } from 'node:crypto';
import { escapeXml, leaf, objList, str } from './query';
import { ApiError, SandboxState } from './state';
import type { Params, StoredObject } from './types';

export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const SNS_MAX_BYTES = 262144;
export const SNS_MAX_SUBJECT = 100;

/** Runs one SNS action; returns the XML inside `<ActionResult>`. */
export function handleSns(state: SandboxState, region: string, action: string, params: Params): string {
  if (action !== 'Publish') throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const topicArn = str(params, 'TopicArn') ?? str(params, 'TargetArn');
  if (!topicArn) throw new ApiError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(topicArn)) {
    throw new ApiError('InvalidParameter', 'Invalid parameter: TopicArn');
  }
  const topicRegion = topicArn.split(':')[3];
  if (topicRegion !== region || !state.topics.some((t) => t.arn === topicArn)) {
    throw new ApiError('NotFound', 'Topic does not exist');
  }
  const message = str(params, 'Message');
  if (message === undefined || message === '') {
    throw new ApiError('InvalidParameter', 'Invalid parameter: Empty message');
  }
  const subject = str(params, 'Subject');
  if (subject !== undefined) {
    if (subject.length === 0 || subject.length > SNS_MAX_SUBJECT) {
      throw new ApiError('InvalidParameter', 'Invalid parameter: Subject');
    }
    if (!/^[\x20-\x7e]*$/.test(subject)) {
      throw new ApiError(
        'InvalidParameter',
        'Invalid parameter: Subject Reason: Must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters',
      );
    }
  }
  const attrs: Record<string, { dataType: string; value: string }> = {};
  let bytes = Buffer.byteLength(message, 'utf8');
  const attrParams = params.MessageAttributes;
  for (const entry of attrParams && typeof attrParams === 'object' && !Array.isArray(attrParams) ? objList(attrParams, 'entry') : []) {
    const name = str(entry, 'Name') ?? '';
    const v = entry.Value;
    const dataType = str(v, 'DataType') ?? '';
    const value = str(v, 'StringValue') ?? str(v, 'BinaryValue') ?? '';
    if (!name || !dataType) throw new ApiError('InvalidParameterValue', 'The message attribute name and data type must be given.');
    attrs[name] = { dataType, value };
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(dataType, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes > SNS_MAX_BYTES) {
    throw new ApiError('InvalidParameter', 'Invalid parameter: Message too long');
  }
  const structure = str(params, 'MessageStructure');
  if (structure !== undefined) {
    if (structure !== 'json') throw new ApiError('InvalidParameter', 'Invalid parameter: MessageStructure');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw new ApiError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ApiError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
    }
    const obj = parsed as Record<string, unknown>;
    if (typeof obj.default !== 'string') {
      throw new ApiError('InvalidParameter', 'Invalid parameter: Message Structure - No default entry in JSON message body');
    }
    if (Object.values(obj).some((v) => typeof v !== 'string')) {
      throw new ApiError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message values must be strings');
    }
  }
  const messageId = randomUUID();
  state.published.push({
    messageId,
    region,
    topicArn,
    ...(subject !== undefined ? { subject } : {}),
    message,
    ...(structure !== undefined ? { messageStructure: structure } : {}),
    messageAttributes: attrs,
  });
  return leaf('MessageId', messageId);
}

export function handleSts(state: SandboxState, action: string): string {
  if (action !== 'GetCallerIdentity') {
    throw new ApiError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }
  const userId = `AIDA${createHash('sha256').update(state.accountId).digest('hex').slice(0, 17).toUpperCase()}`;
  return leaf('Arn', state.account.callerArn) + leaf('UserId', userId) + leaf('Account', state.accountId);
}

/** The XML `<ActionResponse>` document of an awsQuery service (SNS, STS). */
export function queryResponse(namespace: string, action: string, inner: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryError(namespace: string, err: ApiError, requestId: string): string {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(
    err.code,
  )}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

// ---------------------------------------------------------------- S3

export interface S3Request {
  method: string;
  bucket: string;
  key: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface S3Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export function s3ActionOf(method: string, key: string): string {
  if (!key) return method === 'HEAD' ? 'HeadBucket' : method === 'GET' ? 'ListObjects' : `${method}Bucket`;
  switch (method) {
    case 'PUT':
      return 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return `${method}Object`;
  }
}

/** Decodes an `aws-chunked` body (`size[;ext]\r\ndata\r\n ... 0\r\ntrailers\r\n\r\n`). */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) break;
    const header = body.subarray(pos, eol).toString('latin1');
    const size = parseInt(header.split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) break;
    pos = eol + 2;
    if (size === 0) break;
    parts.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
  return Buffer.concat(parts);
}

function header(headers: S3Request['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function handleS3(state: SandboxState, action: string, req: S3Request): S3Reply {
  if (!state.buckets.some((b) => b.name === req.bucket)) {
    throw new ApiError('NoSuchBucket', 'The specified bucket does not exist');
  }
  const id = `${req.bucket}/${req.key}`;
  if (action === 'PutObject') {
    const encoding = header(req.headers, 'content-encoding') ?? '';
    const sha = header(req.headers, 'x-amz-content-sha256') ?? '';
    const chunked = encoding.split(',').map((s) => s.trim()).includes('aws-chunked') || sha.startsWith('STREAMING-');
    const body = chunked ? decodeAwsChunked(req.body) : req.body;
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
    }
    const obj: StoredObject = {
      bucket: req.bucket,
      key: req.key,
      body,
      contentType: header(req.headers, 'content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: new Date(Math.floor(state.clock().getTime() / 1000) * 1000),
      metadata,
    };
    state.objects.set(id, obj);
    return { status: 200, headers: { ETag: etag }, body: '' };
  }
  if (action === 'GetObject' || action === 'HeadObject') {
    const obj = state.objects.get(id);
    if (!obj) throw new ApiError('NoSuchKey', 'The specified key does not exist.');
    const headers: Record<string, string> = {
      'Content-Type': obj.contentType,
      'Content-Length': String(obj.body.length),
      ETag: obj.etag,
      'Last-Modified': obj.lastModified.toUTCString(),
    };
    for (const [k, v] of Object.entries(obj.metadata)) headers[`x-amz-meta-${k}`] = v;
    return { status: 200, headers, body: action === 'GetObject' ? obj.body : '' };
  }
  throw new ApiError('NotImplemented', `The sandbox does not implement ${action}.`);
}

export function s3Error(err: ApiError, req: { bucket: string; key: string }, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>${
    err.code === 'NoSuchBucket' ? leaf('BucketName', req.bucket) : err.code === 'NoSuchKey' ? leaf('Key', req.key) : ''
  }<RequestId>${requestId}</RequestId></Error>`;
}
