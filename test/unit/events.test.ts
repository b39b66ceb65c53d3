// Both Lambda event shapes are strict: exactly a scheduled event or exactly a manual request, for
// the account function and the organization function alike; anything else is rejected.

import { parseEvent } from '../../lambda/handler';
import { parseOrgEvent } from '../../lambda/org-handler';
import { parseSettings } from '../../lambda/settings';

const settings = { ...parseSettings({ mode: 'cleanup' }), regions: ['us-east-1'] };
const IMAGE = 'ami-0123456789abcdef0';

const eventBridge = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111122223333',
  time: '2026-01-05T06:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:111122223333:rule/AmiGuard-Schedule'],
  detail: {},
};
const scheduler = {
  ...eventBridge,
  source: 'aws.scheduler',
  resources: ['arn:aws:scheduler:us-east-1:111122223333:schedule/default/ami-guard'],
  detail: '{}',
};

const rejection = (event: unknown): string => {
  try {
    parseEvent(event, settings);
  } catch (error) {
    expect((error as Error).name).toBe('InvalidEventError');
    return (error as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(event)}`);
};

describe('the account function', () => {
  it('runs a scan for exactly an EventBridge or Scheduler scheduled event', () => {
    expect(parseEvent(eventBridge, settings).config).toMatchObject({ command: 'scan', trigger: 'schedule', mode: 'cleanup' });
    expect(parseEvent(scheduler, settings).config).toMatchObject({ command: 'scan', trigger: 'schedule' });
  });

  it('rejects a manual request dressed as a scheduled event instead of running a cleanup scan', () => {
    const message = rejection({ source: 'aws.events', 'detail-type': 'Scheduled Event', imageIds: [IMAGE], mode: 'report' });
    expect(message).toMatch(/^invalid event /);
    expect(rejection({ ...eventBridge, imageIds: [IMAGE], mode: 'report' })).toBe(
      'invalid event imageIds: unknown field (known: source, detail-type, version, id, account, time, region, resources, detail)',
    );
    expect(rejection({ 'detail-type': 'Scheduled Event', imageIds: [IMAGE] })).toMatch(/^invalid event source: missing/);
  });

  it('rejects a scheduled event that is not exactly one', () => {
    expect(rejection({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toMatch(/^invalid event version: missing/);
    expect(rejection({ ...eventBridge, detail: { run: 'all' } })).toMatch(/^invalid event detail/);
    expect(rejection({ ...eventBridge, detail: '{}' })).toMatch(/^invalid event detail/);
    expect(rejection({ ...eventBridge, account: '1234' })).toBe('invalid event account: "1234" is not a 12-digit account ID');
    expect(rejection({ ...eventBridge, region: 'US-EAST-1' })).toMatch(/^invalid event region: "US-EAST-1" is not an AWS region name/);
  });

  it('takes exactly imageIds, mode, notify and dryRun in a manual request', () => {
    expect(parseEvent({ imageIds: [IMAGE], mode: 'report', notify: true, dryRun: false }, settings)).toMatchObject({
      config: { command: 'check', imageIds: [IMAGE], mode: 'report' },
      notify: true,
    });
    expect(rejection({ imageIds: [IMAGE], region: 'us-east-1' })).toBe('invalid event region: unknown field (known: imageIds, mode, notify, dryRun)');
    expect(rejection({ imageIds: ['AMI-0123456789ABCDEF0'] })).toMatch(/^invalid event imageIds\[0\]: "AMI-0123456789ABCDEF0" is not an AMI ID/);
  });

  it('turns dryRun: true into a run that plans and changes nothing, held to the deployed mode like any other', () => {
    expect(parseEvent({ imageIds: [IMAGE], mode: 'protect', dryRun: true }, settings)).toMatchObject({
      config: { command: 'check', imageIds: [IMAGE], mode: 'protect', dryRun: true },
    });
    expect(parseEvent({ imageIds: [IMAGE], dryRun: false }, settings).config.dryRun).toBeUndefined();
    expect(() => parseEvent({ imageIds: [IMAGE], mode: 'cleanup', dryRun: true }, { ...settings, mode: 'protect' })).toThrow(
      /^invalid event mode: "cleanup" changes more than the deployed mode/,
    );
  });

  it('reads no inherited property as a field', () => {
    expect(rejection({ imageIds: [IMAGE], constructor: 'x' })).toMatch(/^invalid event constructor: unknown field/);
    expect(rejection(JSON.parse(`{"imageIds": ["${IMAGE}"], "__proto__": {"source": "aws.events"}}`))).toMatch(/^invalid event __proto__: unknown field/);
  });
});

describe('the organization function', () => {
  const decide = { step: 'decide', runId: 'run-1', startedAt: '2026-01-05T06:00:00.000Z', listingKey: 'org/run-1/listing.json' };
  const rejects = (event: unknown): string => {
    try {
      parseOrgEvent(event);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`accepted: ${JSON.stringify(event)}`);
  };

  it('rejects unknown fields in the map output and in the inline results', () => {
    expect(rejects({ ...decide, gathered: { ResultWriterDetails: { Bucket: 'b', Key: 'k' }, accounts: ['111122223333'] } })).toMatch(
      /^invalid event accounts: unknown field of the decide step$/,
    );
    expect(rejects({ ...decide, results: [{ accountId: '111122223333', key: 'k', verdict: 'safe' }] })).toMatch(/^invalid event verdict: unknown field/);
    expect(rejects({ ...decide, results: [{ accountId: '1234', key: 'k' }] })).toBe('invalid event results[0].accountId: "1234" is not a 12-digit account ID');
  });

  it('rejects a scheduled event: the organization function is only started by its state machine', () => {
    expect(rejects(eventBridge)).toMatch(/^invalid event step: missing/);
  });
});
