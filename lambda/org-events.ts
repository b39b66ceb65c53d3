// The organization function's events and answers: one step a call (list, gather, decide), each
// checked before anything else, and what each step returns to the state machine.
import * as z from 'zod/mini';
import type { ReportSummary } from './contract';
import { fieldOf, InvalidEventError, valueAt } from './edge';
import { ENGLISH, formString } from './settings';

export const STEPS = ['list', 'gather', 'decide'] as const;
const RUN_ID = /^[A-Za-z0-9._-]{1,128}$/;

const runFields = {
  runId: z.string({ error: 'is not a string' }).check(z.regex(RUN_ID, { error: 'is not a run ID (1-128 letters, digits, ., _ or -)' })),
  startedAt: z.iso.datetime({ error: 'is not an ISO timestamp like 2026-01-05T06:00:00.000Z' }),
};

/** One gather result as the item processor returns it. */
const gatherResultSchema = z.strictObject({ accountId: formString('accountId'), key: z.optional(z.string()), error: z.optional(z.string()) });

const eventSchemas = {
  list: z.strictObject({ step: z.literal('list') }),
  gather: z.strictObject({
    step: z.literal('gather'),
    accountId: formString('accountId'),
    ...runFields,
  }),
  decide: z.strictObject({
    step: z.literal('decide'),
    ...runFields,
    listingKey: z.string({ error: 'is not a string' }).check(z.minLength(1, { error: 'is empty' })),
    /** the Distributed Map's output: its ResultWriter manifest, or the error its Catch caught */
    gathered: z.optional(
      z.strictObject({
        MapRunArn: z.optional(z.string()),
        ResultWriterDetails: z.optional(z.strictObject({ Bucket: z.string(), Key: z.string() })),
        Error: z.optional(z.string()),
        Cause: z.optional(z.string()),
      }),
    ),
    /** the gather results inline, when the map writes no results to S3 */
    results: z.optional(z.array(gatherResultSchema, { error: 'is not a list of gather results' })),
  }),
};

export type OrgEvent = { [S in keyof typeof eventSchemas]: z.output<(typeof eventSchemas)[S]> }[keyof typeof eventSchemas];
export type DecideEvent = z.output<typeof eventSchemas.decide>;

export interface ListOutput {
  readonly runId: string;
  readonly startedAt: string;
  readonly items: readonly { readonly accountId: string }[];
  readonly organizationArn: string;
  /** the organization's active accounts; left out above MAX_INLINE_MEMBERS (read listingKey) */
  readonly members?: readonly string[];
  /** the S3 key of the listing (organization ARN, members, the accounts to scan) */
  readonly listingKey: string;
}

export type GatherOutput = { readonly accountId: string; readonly key: string } | { readonly accountId: string; readonly error: string };

export interface DecideOutput {
  readonly runId: string;
  readonly accounts: number;
  readonly summary: ReportSummary;
  readonly errors: number;
  readonly report?: string;
}

/** Checks the event before anything else: one error naming the bad field, no AWS call. */
export function parseOrgEvent(event: unknown): OrgEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidEventError(`invalid event: expected an object with step (one of ${STEPS.join(', ')})`);
  }
  const step = (event as { step?: unknown }).step;
  if (typeof step !== 'string' || !(STEPS as readonly string[]).includes(step)) {
    throw new InvalidEventError(`invalid event step: ${step === undefined ? 'missing' : JSON.stringify(step)} is not one of ${STEPS.join(', ')}`);
  }
  const parsed = eventSchemas[step as OrgEvent['step']].safeParse(event, ENGLISH);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new InvalidEventError(`invalid event ${issue.keys[0]}: unknown field of the ${step} step`);
  const field = fieldOf(issue);
  const value = valueAt(event, issue);
  if (value === undefined) throw new InvalidEventError(`invalid event ${field}: missing (the ${step} step needs it)`);
  throw new InvalidEventError(`invalid event ${field}: ${JSON.stringify(value).slice(0, 80)} ${issue.message}`);
}
