// What the organization steps hand each other through the report bucket: the list step's listing,
// and each account's gathering. The decide step reads them back.
import type { RunError } from './contract';
import type { ObjectStore } from './aws/object-store';
import type { OrganizationAccount } from './aws/organization';
import type { Evidence, ImageRecord, Inventory } from './engine/model';
import { fromJson, toJson } from './serialize';

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
  const listing = JSON.parse(text) as Listing;
  if (!Array.isArray(listing.accounts)) throw new Error(`the listing ${key} has no accounts`);
  return listing;
}

/** Stores one account's gathering; its key. */
export async function putGathering(store: ObjectStore, runId: string, accountId: string, gathering: StoredGathering): Promise<string> {
  const key = gatheredKey(runId, accountId);
  await store.put(key, toJson(gathering));
  return key;
}

/** One account's gathering, or undefined when its gather step stored none. */
export async function getGathering(store: ObjectStore, runId: string, accountId: string): Promise<StoredGathering | undefined> {
  const text = await store.get(gatheredKey(runId, accountId));
  return text === undefined ? undefined : fromJson<StoredGathering>(text);
}
