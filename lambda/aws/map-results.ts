// What a Distributed Map's ResultWriter leaves in S3: a manifest naming the result files, and in
// each file the child executions with their input, output and status. Read to learn which
// accounts' gather steps failed, and why.
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html

import * as z from 'zod/mini';
import { ENGLISH } from '../settings';
import { createObjectStore } from './object-store';

/**
 * Adds each failed account and why, from the map's results at `details`, to `failures`; throws
 * when they cannot be read (the accounts read before then stay added).
 */
export async function readMapFailures(details: { readonly Bucket: string; readonly Key: string }, failures: Map<string, string>): Promise<void> {
  const results = createObjectStore(details.Bucket);
  const manifest = validated(manifestSchema, (await results.get(details.Key)) ?? '{}', `the map's manifest s3://${details.Bucket}/${details.Key}`);
  const files = [...(manifest.ResultFiles?.FAILED ?? []), ...(manifest.ResultFiles?.SUCCEEDED ?? [])];
  for (const file of files) {
    const executions = validated(executionsSchema, (await results.get(file.Key)) ?? '[]', `the map's result file s3://${details.Bucket}/${file.Key}`);
    for (const execution of executions) {
      const failure = executionFailure(execution);
      if (failure !== undefined) failures.set(failure.accountId, failure.message);
    }
  }
}

const resultFiles = z.optional(z.array(z.object({ Key: z.string() })));

/** The ResultWriter manifest Step Functions writes beside the child executions' results. */
const manifestSchema = z.object({
  ResultFiles: z.optional(z.object({ FAILED: resultFiles, SUCCEEDED: resultFiles, PENDING: resultFiles })),
});

const executionSchema = z.object({
  Input: z.optional(z.string()),
  Output: z.optional(z.string()),
  Status: z.optional(z.string()),
  Error: z.optional(z.string()),
  Cause: z.optional(z.string()),
});
const executionsSchema = z.array(executionSchema);

export type MapExecution = z.output<typeof executionSchema>;

/** The object's text parsed and checked, or an error naming the object and its first bad field. */
function validated<T>(schema: z.ZodMiniType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(value, ENGLISH);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${what} is malformed: ${issue.path.length > 0 ? issue.path.map(String).join('.') : 'the object'} ${issue.message}`);
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
