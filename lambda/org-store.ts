// What the organization steps hand each other through the report bucket: the list step's listing,
// and each account's gathering. The decide step reads them back.
// Both are validated when read back: a malformed object is an error naming it, never a cast.
import * as z from 'zod/mini';
import type { RunError } from './contract';
import type { ObjectStore } from './aws/object-store';
import type { OrganizationAccount } from './aws/organization';
import type { Evidence, ImageRecord, Inventory } from './engine/model';
import { fromJson, toJson } from './serialize';
import { ENGLISH, formString } from './settings';

/** What the list step stores for the decide step. */
export interface Listing {
  readonly organizationArn: string;
  /** every account of the organization with its status: a share to one that is not active cannot be cleared */
  readonly accounts: readonly OrganizationAccount[];
  readonly members: readonly string[];
  readonly scanned: readonly string[];
}

/** What the gather step stores per account: Gathered without its index (rebuilt from the inventory), with the step's errors. */
export interface StoredGathering {
  readonly inventory: Inventory;
  readonly candidates: readonly ImageRecord[];
  readonly missing: readonly string[];
  readonly evidence: Evidence;
  readonly errors: readonly RunError[];
}

const listingSchema = z.object({
  organizationArn: formString('arn'),
  accounts: z.array(z.object({ id: formString('accountId'), status: z.string() }), { error: 'is not a list of accounts' }),
  members: z.array(formString('accountId'), { error: 'is not a list of account IDs' }),
  scanned: z.array(formString('accountId'), { error: 'is not a list of account IDs' }),
}) satisfies z.ZodMiniType<Listing>;

/** A Map as serialize.ts revives it; its entries are the gather step's own. */
const map = <M extends ReadonlyMap<string, unknown>>() => z.custom<M>((value) => value instanceof Map, { error: 'is not a map' });
/** An object with these string fields; the rest is the gather step's own. */
const withStrings = <T>(fields: readonly string[], what: string) =>
  z.custom<T>(
    (value) => typeof value === 'object' && value !== null && fields.every((field) => typeof (value as Record<string, unknown>)[field] === 'string'),
    { error: `is not ${what}` },
  );
const image = withStrings<ImageRecord>(['imageId', 'region'], 'an image');

const gatheringSchema = z.object({
  inventory: z.object({ images: z.array(image), failedRegions: map<Inventory['failedRegions']>() }),
  candidates: z.array(image),
  missing: z.array(z.string()),
  evidence: z.object({
    references: map<Evidence['references']>(),
    launchPermissions: map<Evidence['launchPermissions']>(),
    lineage: map<Evidence['lineage']>(),
    protection: map<Evidence['protection']>(),
    sources: map<Evidence['sources']>(),
    recycleBin: map<Evidence['recycleBin']>(),
    usage: map<Evidence['usage']>(),
    crossAccount: z.optional(map<NonNullable<Evidence['crossAccount']>>()),
    descendantsInOrganization: z.optional(map<NonNullable<Evidence['descendantsInOrganization']>>()),
    notChecked: map<Evidence['notChecked']>(),
  }),
  errors: z.array(withStrings<RunError>(['message'], 'a run error')),
}) satisfies z.ZodMiniType<StoredGathering>;

/** The object's content, or an error naming the object and its first bad field. */
function validated<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value, ENGLISH);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${what} is malformed: ${issue.path.length > 0 ? issue.path.map(String).join('.') : 'the object'} ${issue.message}`);
}

/** JSON text parsed, or an error naming the object. */
function parsedJson(text: string, what: string, parse: (text: string) => unknown = JSON.parse): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

const listingKeyOf = (runId: string): string => `org/${runId}/listing.json`;
export const gatheredKey = (runId: string, accountId: string): string => `org/${runId}/gathered/${accountId}.json`;

/** Stores the listing; its key. */
export async function putListing(store: ObjectStore, runId: string, listing: Listing): Promise<string> {
  const key = listingKeyOf(runId);
  await store.put(key, JSON.stringify(listing));
  return key;
}

/** The listing at `key`; throws when it is missing or is not a listing. */
export async function getListing(store: ObjectStore, key: string): Promise<Listing> {
  const text = await store.get(key);
  if (text === undefined) throw new Error(`the listing ${key} is not in ${store.bucket}`);
  const what = `the listing s3://${store.bucket}/${key}`;
  return validated(listingSchema, parsedJson(text, what), what);
}

/** Stores one account's gathering; its key. */
export async function putGathering(store: ObjectStore, runId: string, accountId: string, gathering: StoredGathering): Promise<string> {
  const key = gatheredKey(runId, accountId);
  await store.put(key, toJson(gathering));
  return key;
}

/** One account's gathering, or undefined when its gather step stored none. */
export async function getGathering(store: ObjectStore, runId: string, accountId: string): Promise<StoredGathering | undefined> {
  const key = gatheredKey(runId, accountId);
  const text = await store.get(key);
  if (text === undefined) return undefined;
  const what = `the gathering of account ${accountId} at s3://${store.bucket}/${key}`;
  return validated(gatheringSchema, parsedJson(text, what, (t) => fromJson<unknown>(t)), what);
}
