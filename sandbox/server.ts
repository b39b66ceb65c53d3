import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountBuilder } from './builder';
import { EC2_NAMESPACE, handleEc2, throttleClassOf } from './ec2';
import {
  AUTOSCALING_NAMESPACE,
  handleAutoScaling,
  handleJson,
  JSON_SERVICES,
  jsonContentType,
  jsonError,
  jsonRoute,
  jsonServiceFromTarget,
  jsonToParams,
} from './evidence';
import type { JsonObject, JsonRoute, JsonService } from './evidence';
import {
  accessKeyIdOf,
  isOrganization,
  OrganizationBuilder,
  OrganizationRuntime,
  ORGANIZATIONS_TARGET_PREFIX,
  organizationsError,
} from './organization';
import type { CallerIdentity } from './organization';
import { damageAnswer } from './damage';
import { containsParams, decodeQuery, escapeXml } from './query';
import { FaultInjector, Throttle, throttleConfig } from './realism';
import {
  handleS3,
  handleSns,
  handleSts,
  queryError,
  queryResponse,
  s3ActionOf,
  s3Error,
  SNS_NAMESPACE,
  STS_NAMESPACE,
} from './services';
import { ApiError, SandboxState } from './state';
import type {
  CallHook,
  CallRecord,
  FaultRule,
  HookedCall,
  Params,
  SandboxAccount,
  SandboxOrganization,
  ServiceName,
  TamperRule,
  ThrottleConfig,
} from './types';

export interface SandboxOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Delay added to every call, in milliseconds. */
  latencyMs?: number;
  /** EC2 request throttling: `true` for AWS's buckets, or buckets to override (per class). */
  throttle?: boolean | Partial<ThrottleConfig>;
  /** Fault rules (see `FaultRule`). */
  faults?: FaultRule[];
  /** Seed of the fault decisions (default 0). */
  seed?: number;
  /** Rewrites of successful answers (see `TamperRule`). */
  tamper?: TamperRule[];
  /** The sandbox clock (deprecation, protection cooldown); default: the real clock. */
  clock?: () => Date;
  /** At most this many items a page of every paginated read (see `SandboxState.pageCap`). */
  pageCap?: number;
  /** Changes made at a chosen call (see `CallHook`). */
  hooks?: CallHook[];
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT`: pass as `endpoint` to the SDK clients (or AWS_ENDPOINT_URL). */
  readonly url: string;
  readonly port: number;
  /** Every call, in completion order (`seq` is the arrival order). */
  readonly calls: CallRecord[];
  /** The account's state (organization mode: the home account's). */
  readonly state: SandboxState;
  /** Every account's live state by account ID (one entry outside organization mode). */
  readonly accounts: ReadonlyMap<string, SandboxState>;
  /** The state of one account (throws for an account the sandbox does not serve). */
  account(accountId: string): SandboxState;
  /** Organization mode: the live organization (tests may change it, e.g. `unreachable`, `status`). */
  readonly organization: SandboxOrganization | undefined;
  setFaults(rules: FaultRule[]): void;
  /** Replaces the answer rewrites (an empty list serves every answer as it is). */
  setTampering(rules: TamperRule[]): void;
  /** `false` turns throttling off; `true` or a partial config turns it on with fresh (full) buckets. */
  setThrottle(throttle: boolean | Partial<ThrottleConfig>): void;
  setLatency(ms: number): void;
  /** Replaces the hooks (each fires once; see `CallHook`). */
  setHooks(hooks: CallHook[]): void;
  clearCalls(): void;
  stop(): Promise<void>;
}

const VERSIONS = new Map<string, ServiceName>([
  ['2016-11-15', 'ec2'],
  ['2010-03-31', 'sns'],
  ['2011-06-15', 'sts'],
  ['2011-01-01', 'autoscaling'],
]);

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  errorCode?: string;
}

function regionOf(req: IncomingMessage, url: URL): string {
  const auth = req.headers.authorization ?? url.searchParams.get('X-Amz-Credential') ?? '';
  const m = /Credential=[^/,\s]+\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(auth) ?? /^[^/]+\/\d{8}\/([^/]+)\//.exec(auth);
  return m?.[1] ?? 'us-east-1';
}

/** The service of the SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`). */
function scopeServiceOf(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization ?? url.searchParams.get('X-Amz-Credential') ?? '';
  const m = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth) ?? /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth);
  return m?.[1];
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The JSON-protocol service a request targets: by credential scope, else by X-Amz-Target. */
function jsonServiceOf(req: IncomingMessage, url: URL): JsonService | undefined {
  const scope = scopeServiceOf(req, url);
  if (scope && (JSON_SERVICES as readonly string[]).includes(scope)) return scope as JsonService;
  return scope === undefined ? jsonServiceFromTarget(header(req, 'x-amz-target')) : undefined;
}

/**
 * Starts a sandbox serving `account` (copied: the sandbox's state is its own), or an organization
 * of accounts (`OrganizationBuilder` / `SandboxOrganization`), where the credentials select the
 * account each call acts as.
 */
export async function startSandbox(
  account: SandboxAccount | AccountBuilder | SandboxOrganization | OrganizationBuilder,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  let org: OrganizationRuntime | undefined;
  let state: SandboxState;
  if (isOrganization(account)) {
    const orgData = account instanceof OrganizationBuilder ? account.build() : structuredClone(account);
    org = new OrganizationRuntime(orgData, options.clock);
    state = org.homeState;
  } else {
    const data = account instanceof AccountBuilder ? account.build() : structuredClone(account);
    state = new SandboxState(data, options.clock);
  }
  const accounts: ReadonlyMap<string, SandboxState> = org ? org.states : new Map([[state.accountId, state]]);
  const calls: CallRecord[] = [];
  let seq = 0;
  let latencyMs = options.latencyMs ?? 0;
  const makeThrottle = (t: boolean | Partial<ThrottleConfig> | undefined): Throttle | undefined =>
    t === undefined || t === false ? undefined : new Throttle(throttleConfig(t === true ? {} : t));
  let throttle = makeThrottle(options.throttle);
  const faults = new FaultInjector(options.faults ?? [], options.seed ?? 0);
  let tampering = (options.tamper ?? []).map((rule) => ({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }));
  /** The successful answer, rewritten by the first tamper rule that matches (and has rewrites left). */
  const tamper = (service: ServiceName, action: string, params: Params, accountId: string, reply: Reply): Reply | undefined => {
    if (reply.status >= 300 || typeof reply.body !== 'string') return undefined;
    const entry = tampering.find(
      ({ rule, left }) =>
        left > 0 &&
        (rule.service === undefined || rule.service === service) &&
        (rule.action === '*' || rule.action === action) &&
        (rule.accountId === undefined || rule.accountId === accountId) &&
        (rule.match === undefined || (typeof rule.match === 'function' ? rule.match(params) : containsParams(params, rule.match))),
    );
    if (entry === undefined) return undefined;
    entry.left -= 1;
    return { ...reply, body: entry.rule.rewrite(reply.body, params) };
  };
  for (const s of accounts.values()) s.pageCap = options.pageCap;
  let hooks: { hook: CallHook; seen: number; fired: boolean }[] = [];
  const setHooks = (list: CallHook[]): void => {
    hooks = list.map((hook) => ({ hook, seen: 0, fired: false }));
  };
  setHooks(options.hooks ?? []);
  const fireHooks = (call: HookedCall): void => {
    for (const entry of hooks) {
      const { hook } = entry;
      if (entry.fired) continue;
      if (hook.service !== undefined && hook.service !== call.service) continue;
      if (hook.action !== '*' && hook.action !== call.action) continue;
      if (hook.accountId !== undefined && hook.accountId !== call.accountId) continue;
      if (hook.match !== undefined && !(typeof hook.match === 'function' ? hook.match(call.params) : containsParams(call.params, hook.match))) continue;
      entry.seen += 1;
      if (entry.seen < (hook.nth ?? 1)) continue;
      entry.fired = true;
      hook.run(call);
    }
  };

  const xml = (status: number, body: string, errorCode?: string): Reply => ({
    status,
    headers: { 'Content-Type': 'text/xml;charset=UTF-8' },
    body,
    ...(errorCode ? { errorCode } : {}),
  });

  const errorReply = (service: ServiceName, err: ApiError, requestId: string, s3: { bucket: string; key: string }): Reply => {
    switch (service) {
      case 'ec2':
        return xml(
          err.status,
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(
            err.message,
          )}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
          err.code,
        );
      case 'sns':
        return xml(err.status, queryError(SNS_NAMESPACE, err, requestId), err.code);
      case 'sts':
        return xml(err.status, queryError(STS_NAMESPACE, err, requestId), err.code);
      case 's3':
        return xml(err.status, s3Error(err, s3, requestId), err.code);
      case 'autoscaling':
        return xml(err.status, queryError(AUTOSCALING_NAMESPACE, err, requestId), err.code);
      case 'batch':
      case 'elasticmapreduce':
      case 'rbin': {
        const doc = jsonError(service, err);
        return { status: err.status, headers: { ...doc.headers, 'x-amzn-RequestId': requestId }, body: doc.body, errorCode: err.code };
      }
      case 'organizations': {
        const doc = organizationsError(err);
        return { status: err.status, headers: { ...doc.headers, 'x-amzn-RequestId': requestId }, body: doc.body, errorCode: err.code };
      }
    }
  };

  async function handle(req: IncomingMessage): Promise<Reply> {
    const mySeq = ++seq;
    const time = new Date().toISOString();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const body = await readBody(req);
    const region = regionOf(req, url);
    const requestId = randomUUID();
    const contentType = req.headers['content-type'] ?? '';
    const method = req.method ?? 'GET';
    // Organization mode: the credentials select the account (an unknown account is an error, below).
    let caller: CallerIdentity | undefined;
    let identityError: ApiError | undefined;
    if (org) {
      try {
        caller = org.identify(accessKeyIdOf(header(req, 'authorization'), url.searchParams.get('X-Amz-Credential')));
      } catch (e) {
        identityError = e instanceof ApiError ? e : new ApiError('InvalidClientTokenId', String(e), 403);
      }
    } else {
      caller = { state };
    }
    const accountFields = org && caller ? { accountId: caller.state.accountId } : {};
    let service: ServiceName;
    let action: string;
    let params: Params;
    let s3req = { bucket: '', key: '' };
    let jsonBody: JsonObject = {};
    let route: JsonRoute | undefined;
    const isQuery =
      url.pathname === '/' &&
      ((method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) ||
        (method === 'GET' && url.searchParams.has('Action')));
    if (isQuery) {
      const pairs = [...url.searchParams, ...new URLSearchParams(body.toString('utf8'))];
      const all = decodeQuery(pairs);
      const version = typeof all.Version === 'string' ? all.Version : '';
      action = typeof all.Action === 'string' ? all.Action : '';
      delete all.Action;
      delete all.Version;
      params = all;
      const known = VERSIONS.get(version);
      if (!known || !action) {
        const reply = xml(
          400,
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${
            action ? 'InvalidAction' : 'MissingAction'
          }</Code><Message>Unknown Version '${escapeXml(version)}' or missing Action</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
          action ? 'InvalidAction' : 'MissingAction',
        );
        calls.push({ seq: mySeq, time, service: 'ec2', action: action || '(none)', region, params, status: 400, errorCode: reply.errorCode, ...accountFields });
        return reply;
      }
      service = known;
    } else if (
      method === 'POST' &&
      (header(req, 'x-amz-target')?.startsWith(ORGANIZATIONS_TARGET_PREFIX) === true || scopeServiceOf(req, url) === 'organizations')
    ) {
      service = 'organizations';
      action = header(req, 'x-amz-target')?.slice(ORGANIZATIONS_TARGET_PREFIX.length) ?? '';
      try {
        const parsed: unknown = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) jsonBody = parsed as JsonObject;
      } catch {
        jsonBody = {};
      }
      params = jsonToParams(jsonBody);
    } else if (jsonServiceOf(req, url)) {
      service = jsonServiceOf(req, url) as JsonService;
      const target = header(req, 'x-amz-target');
      if (body.length > 0) {
        try {
          const parsed: unknown = JSON.parse(body.toString('utf8'));
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) jsonBody = parsed as JsonObject;
        } catch {
          jsonBody = {};
        }
      }
      route = jsonRoute(service, { method, path: url.pathname, ...(target !== undefined ? { target } : {}), body: jsonBody });
      action = route?.action ?? (target?.split('.').pop() || `${method} ${url.pathname}`);
      params = { ...jsonToParams(jsonBody), ...(route?.pathParams ?? {}) };
      if (!route) {
        const err = new ApiError('UnknownOperationException', `The sandbox does not implement ${action} for ${service}.`, 404);
        const doc = jsonError(service, err);
        const reply: Reply = { status: 404, headers: { ...doc.headers, 'x-amzn-RequestId': requestId }, body: doc.body, errorCode: err.code };
        calls.push({ seq: mySeq, time, service, action, region, params, status: 404, errorCode: err.code, ...accountFields });
        return reply;
      }
    } else {
      service = 's3';
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      const segments = url.pathname.split('/').slice(1);
      let bucket: string;
      let key: string;
      if (host.endsWith('.localhost')) {
        bucket = host.slice(0, -'.localhost'.length).replace(/\.s3$/, '');
        key = segments.join('/');
      } else {
        bucket = segments[0] ?? '';
        key = segments.slice(1).join('/');
      }
      key = decodeURIComponent(key);
      bucket = decodeURIComponent(bucket);
      s3req = { bucket, key };
      action = s3ActionOf(method, key);
      params = { Bucket: bucket, Key: key };
      if (method === 'PUT' && contentType) params.ContentType = contentType;
    }

    fireHooks({ seq: mySeq, service, action, region, params, ...accountFields });
    const record = (answer: Reply, injected?: CallRecord['injected']): Reply => {
      const tampered = caller && !injected ? tamper(service, action, params, caller.state.accountId, answer) : undefined;
      const reply = tampered ?? answer;
      const mark = tampered ? 'tamper' : injected;
      calls.push({
        seq: mySeq,
        time,
        service,
        action,
        region,
        params,
        status: reply.status,
        ...(reply.errorCode ? { errorCode: reply.errorCode } : {}),
        ...(mark ? { injected: mark } : {}),
        ...accountFields,
      });
      return reply;
    };

    if (latencyMs > 0) await sleep(latencyMs);
    if (!caller) {
      const err = identityError ?? new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      return record(errorReply(service, service === 'ec2' ? new ApiError('AuthFailure', err.message, 401) : err, requestId, s3req));
    }
    const acting = caller.state;
    // Buckets per account and region (one account outside organization mode: per region).
    const throttleKey = org ? `${acting.accountId}/${region}` : region;
    if (service === 'ec2' && throttle && !throttle.take(throttleKey, throttleClassOf(action))) {
      return record(errorReply(service, new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503), requestId, s3req), 'throttle');
    }
    const fault = faults.decide(service, action, params, acting.accountId, org !== undefined);
    if (fault && fault.answer === undefined) {
      if (fault.afterEffect === true && service === 'ec2') {
        try {
          handleEc2({ state: acting, region }, action, params);
        } catch {
          // the injected error is the answer either way
        }
      }
      const err = new ApiError(fault.code, fault.message ?? `Injected fault ${fault.code}`, fault.status);
      return record(errorReply(service, err, requestId, s3req), 'fault');
    }
    // The answer of a call that passed throttling and faults.
    const serve = (): Reply => {
      try {
        switch (service) {
          case 'ec2': {
            const inner = handleEc2({ state: acting, region }, action, params);
            return xml(
              200,
              `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${requestId}</requestId>${inner}</${action}Response>`,
            );
          }
          case 'sns':
            return xml(200, queryResponse(SNS_NAMESPACE, action, handleSns(acting, region, action, params), requestId));
          case 'sts': {
            const inner = org ? org.handleSts(caller, action, params) : handleSts(acting, action);
            return xml(200, queryResponse(STS_NAMESPACE, action, inner, requestId));
          }
          case 'autoscaling':
            return xml(200, queryResponse(AUTOSCALING_NAMESPACE, action, handleAutoScaling(acting, region, action, params), requestId));
          case 'organizations': {
            if (!org) throw new ApiError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.', 400);
            return {
              status: 200,
              headers: { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId },
              body: JSON.stringify(org.handleOrganizations(caller, action, jsonBody)),
            };
          }
          case 'batch':
          case 'elasticmapreduce':
          case 'rbin': {
            const doc = handleJson(acting, region, service, route as JsonRoute, jsonBody);
            return {
              status: 200,
              headers: { 'Content-Type': jsonContentType(service), 'x-amzn-RequestId': requestId },
              body: JSON.stringify(doc),
            };
          }
          case 's3': {
            const r = handleS3(acting, action, { method, bucket: s3req.bucket, key: s3req.key, headers: req.headers, body });
            return { status: r.status, headers: { ...r.headers, 'x-amz-request-id': requestId }, body: r.body };
          }
        }
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError('InternalError', e instanceof Error ? e.message : String(e), 500);
        return errorReply(service, err, requestId, s3req);
      }
    };
    const reply = serve();
    if (fault?.answer === undefined || reply.status !== 200) return record(reply);
    const text = typeof reply.body === 'string' ? reply.body : reply.body.toString('utf8');
    const json = !(reply.headers['Content-Type'] ?? '').includes('xml');
    return record({ ...reply, body: damageAnswer(text, fault.answer, json, fault.occurrence) }, 'answer');
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req).then(
      (reply) => {
        const body = req.method === 'HEAD' ? '' : reply.body;
        const headers = { ...reply.headers };
        if (req.method !== 'HEAD' || !('Content-Length' in headers)) {
          headers['Content-Length'] = String(typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.length);
        }
        if (req.method === 'HEAD' && reply.status >= 400) headers['Content-Length'] = '0';
        res.writeHead(reply.status, headers);
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      },
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    calls,
    state,
    accounts,
    account: (accountId) => {
      const s = accounts.get(accountId);
      if (!s) throw new Error(`the sandbox serves no account ${accountId}`);
      return s;
    },
    organization: org?.org,
    setFaults: (rules) => faults.setRules(rules),
    setTampering: (rules) => {
      tampering = rules.map((rule) => ({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }));
    },
    setThrottle: (t) => {
      throttle = makeThrottle(t);
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setHooks,
    clearCalls: () => {
      calls.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
