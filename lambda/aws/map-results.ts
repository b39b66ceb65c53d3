// What a Distributed Map's ResultWriter leaves in S3: a manifest naming the result files, and in
// each file the child executions with their input, output and status. Read to learn which
// accounts' gather steps failed, and why.
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html

import { createObjectStore } from './object-store';

/**
 * Adds each failed account and why, from the map's results at `details`, to `failures`; throws
 * when they cannot be read (the accounts read before then stay added).
 */
export async function readMapFailures(details: { readonly Bucket: string; readonly Key: string }, failures: Map<string, string>): Promise<void> {
  const results = createObjectStore(details.Bucket);
  const manifest = JSON.parse((await results.get(details.Key)) ?? '{}') as MapManifest;
  const files = [...(manifest.ResultFiles?.FAILED ?? []), ...(manifest.ResultFiles?.SUCCEEDED ?? [])];
  for (const file of files) {
    for (const execution of JSON.parse((await results.get(file.Key)) ?? '[]') as MapExecution[]) {
      const failure = executionFailure(execution);
      if (failure !== undefined) failures.set(failure.accountId, failure.message);
    }
  }
}

/** The ResultWriter manifest Step Functions writes beside the child executions' results. */
interface MapManifest {
  readonly ResultFiles?: Readonly<Record<'FAILED' | 'SUCCEEDED' | 'PENDING', readonly { readonly Key: string }[] | undefined>>;
}

export interface MapExecution {
  readonly Input?: string;
  readonly Output?: string;
  readonly Status?: string;
  readonly Error?: string;
  readonly Cause?: string;
}

/** One child execution's failure: it failed, or it answered `{accountId, error}`. */
export function executionFailure(execution: MapExecution): { accountId: string; message: string } | undefined {
  const input = safeParse(execution.Input);
  const output = safeParse(execution.Output);
  const accountId = typeof output?.accountId === 'string' ? output.accountId : typeof input?.accountId === 'string' ? input.accountId : undefined;
  if (accountId === undefined) return undefined;
  if (typeof output?.error === 'string') return { accountId, message: output.error };
  if (execution.Status !== undefined && execution.Status !== 'SUCCEEDED') {
    return { accountId, message: `gather ${execution.Status.toLowerCase()}: ${execution.Error ?? 'no error'}${execution.Cause ? `: ${execution.Cause.slice(0, 300)}` : ''}` };
  }
  return undefined;
}

function safeParse(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
