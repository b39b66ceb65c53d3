import type { ObjectStore } from '../../lambda/aws/object-store';
import { getGathering, getListing, gatheredKey, putGathering, putListing } from '../../lambda/org-store';

function memoryStore(): ObjectStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return { bucket: 'reports', objects, put: async (key, body) => void objects.set(key, body), get: async (key) => objects.get(key) };
}

const ACCOUNT = '111122223333';

describe('what the organization steps read back from S3', () => {
  it('reads back the listing and a gathering as they were stored', async () => {
    const store = memoryStore();
    const listing = { organizationArn: 'arn:aws:organizations::111122223333:organization/o-abc123defg', accounts: [{ id: ACCOUNT, status: 'ACTIVE' }], members: [ACCOUNT], scanned: [ACCOUNT] };
    const key = await putListing(store, 'run-1', listing);
    await expect(getListing(store, key)).resolves.toEqual(listing);
    const evidence = {
      references: new Map(), launchPermissions: new Map(), lineage: new Map(), protection: new Map(), sources: new Map(),
      recycleBin: new Map(), usage: new Map(), notChecked: new Map(),
    };
    const gathering = { inventory: { images: [], failedRegions: new Map([['eu-west-1', 'denied']]) }, candidates: [], missing: [], evidence, errors: [] };
    await putGathering(store, 'run-1', ACCOUNT, gathering);
    await expect(getGathering(store, 'run-1', ACCOUNT)).resolves.toEqual(gathering);
    await expect(getGathering(store, 'run-1', '444455556666')).resolves.toBeUndefined();
  });

  it('names a malformed object and its bad field instead of casting it', async () => {
    const store = memoryStore();
    store.objects.set('listing', JSON.stringify({ organizationArn: 'arn:aws:organizations::111122223333:organization/o-abc123defg', members: [], scanned: [] }));
    await expect(getListing(store, 'listing')).rejects.toThrow('the listing s3://reports/listing is malformed: accounts is not a list of accounts');
    store.objects.set('broken', '{"accounts": [');
    await expect(getListing(store, 'broken')).rejects.toThrow('the listing s3://reports/broken is not JSON');
    await expect(getListing(store, 'absent')).rejects.toThrow('the listing absent is not in reports');
    store.objects.set(gatheredKey('run-1', ACCOUNT), JSON.stringify({ inventory: { images: [] }, candidates: [], missing: [], evidence: {}, errors: [] }));
    await expect(getGathering(store, 'run-1', ACCOUNT)).rejects.toThrow(
      `the gathering of account ${ACCOUNT} at s3://reports/org/run-1/gathered/${ACCOUNT}.json is malformed: inventory.failedRegions is not a map`,
    );
  });
});
