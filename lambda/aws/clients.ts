// One EC2 client per region, with the SDK's standard retries (throttling and 5xx, with backoff)
// and ami-guard's pacing. Endpoints and credentials come from the SDK's standard chain, so
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 point it at the local sandbox.

import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { BatchClient } from '@aws-sdk/client-batch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EMRClient } from '@aws-sdk/client-emr';
import { RbinClient } from '@aws-sdk/client-rbin';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { pacingPlugin } from './pacing';

export interface ClientOptions {
  /** attempts per call, retries included; default 5, or AWS_MAX_ATTEMPTS when set */
  readonly maxAttempts?: number;
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
  const maxAttempts = options.maxAttempts ?? (process.env.AWS_MAX_ATTEMPTS ? undefined : 5);
  const common = (region: string) => ({
    region,
    maxAttempts,
    retryMode: 'standard',
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
  return (region) => {
    let regional = clients.get(region);
    if (regional === undefined) {
      const ec2 = new EC2Client(common(region));
      ec2.middlewareStack.use(pacingPlugin());
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
