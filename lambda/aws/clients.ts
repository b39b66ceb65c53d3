// One EC2 client per region, with the SDK's standard retries (throttling and 5xx, with backoff)
// and ami-guard's pacing. Endpoints and credentials come from the SDK's standard chain, so
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 point it at the local sandbox.

import { EC2Client } from '@aws-sdk/client-ec2';
import { pacingPlugin } from './pacing';

export interface ClientOptions {
  /** attempts per call, retries included; default 5, or AWS_MAX_ATTEMPTS when set */
  readonly maxAttempts?: number;
  /** milliseconds before one attempt times out */
  readonly requestTimeoutMs?: number;
}

export function ec2ClientFactory(options: ClientOptions = {}): (region: string) => EC2Client {
  const clients = new Map<string, EC2Client>();
  const maxAttempts = options.maxAttempts ?? (process.env.AWS_MAX_ATTEMPTS ? undefined : 5);
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = new EC2Client({
        region,
        maxAttempts,
        retryMode: 'standard',
        requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
      });
      client.middlewareStack.use(pacingPlugin());
      clients.set(region, client);
    }
    return client;
  };
}
