// One EC2 client per region, with ami-guard's retries (throttling waits within the run's budget,
// 5xx and timeouts a bounded number of times) and its adaptive pacing. Endpoints and credentials come from the SDK's standard chain, so
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 point it at the local sandbox.

import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { BatchClient } from '@aws-sdk/client-batch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EMRClient } from '@aws-sdk/client-emr';
import { RbinClient } from '@aws-sdk/client-rbin';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { pacingPlugin } from './pacing';
import { ThrottlePatientRetryStrategy } from './retry';

export interface ClientOptions {
  /** attempts per call for errors other than throttling, retries included; default 5, or AWS_MAX_ATTEMPTS when set */
  readonly maxAttempts?: number;
  /** the fraction of each EC2 request bucket ami-guard may use (0 < x <= 1); default DEFAULT_API_SHARE */
  readonly apiShare?: number;
  /** milliseconds left in the run's budget: throttled calls keep waiting until it runs out */
  readonly remainingMs?: () => number;
  /** milliseconds before one attempt times out */
  readonly requestTimeoutMs?: number;
  /** another account's credentials (organization mode); default the SDK's chain */
  readonly credentials?: AwsCredentialIdentityProvider;
}

export interface RegionClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly batch: BatchClient;
  readonly emr: EMRClient;
  readonly rbin: RbinClient;
}

/** The clients of one region, made once; only EC2's calls share EC2's request buckets and so are paced. */
export function clientFactory(options: ClientOptions = {}): (region: string) => RegionClients {
  const clients = new Map<string, RegionClients>();
  const maxAttempts = options.maxAttempts ?? (Number(process.env.AWS_MAX_ATTEMPTS) || 5);
  const retryStrategy = new ThrottlePatientRetryStrategy({ maxAttempts, remainingMs: options.remainingMs });
  const common = (region: string) => ({
    region,
    maxAttempts,
    retryStrategy,
    // The middleware stack is resolved once per command class, not on every call: every client's
    // stack is complete before its first call (the pacing plugin is added right after creation),
    // and resolving it again per call was a large part of what each call allocated.
    cacheMiddleware: true,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
  return (region) => {
    let regional = clients.get(region);
    if (regional === undefined) {
      const ec2 = new EC2Client(common(region));
      ec2.middlewareStack.use(pacingPlugin({ apiShare: options.apiShare }));
      regional = {
        ec2,
        autoScaling: new AutoScalingClient(common(region)),
        batch: new BatchClient(common(region)),
        emr: new EMRClient(common(region)),
        rbin: new RbinClient(common(region)),
      };
      clients.set(region, regional);
    }
    return regional;
  };
}
