import type { Context } from 'aws-lambda';
import { chooseAccounts, executionFailure, handler, InvalidEventError, orgRunConfig, parseOrgEvent } from '../../lambda/org-handler';
import { parseSettings } from '../../lambda/settings';
import { fromJson, toJson } from '../../lambda/serialize';

const STARTED_AT = '2026-01-05T06:00:00.000Z';

describe('org-handler event validation', () => {
  const rejects = (event: unknown, message: string) => {
    let error: unknown;
    try {
      parseOrgEvent(event);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toBe(message);
  };

  it('accepts the three steps', () => {
    expect(parseOrgEvent({ step: 'list' })).toEqual({ step: 'list' });
    expect(parseOrgEvent({ step: 'gather', accountId: '111122223333', runId: 'run-1', startedAt: STARTED_AT })).toMatchObject({
      accountId: '111122223333',
    });
    const decide = parseOrgEvent({
      step: 'decide',
      runId: 'run-1',
      startedAt: STARTED_AT,
      listingKey: 'org/run-1/listing.json',
      gathered: { MapRunArn: 'arn:aws:states:us-east-1:111122223333:mapRun:x', ResultWriterDetails: { Bucket: 'b', Key: 'org/map-results/x/manifest.json' } },
    });
    expect(decide).toMatchObject({ step: 'decide', gathered: { ResultWriterDetails: { Bucket: 'b' } } });
  });

  it('names a bad or missing step', () => {
    rejects({ step: 'scan' }, 'invalid event step: "scan" is not one of list, gather, decide');
    rejects({}, 'invalid event step: missing is not one of list, gather, decide');
    rejects('list', 'invalid event: expected an object with step (one of list, gather, decide)');
  });

  it('names the one bad field of a step', () => {
    rejects({ step: 'gather', runId: 'run-1', startedAt: STARTED_AT }, 'invalid event accountId: missing (the gather step needs it)');
    rejects(
      { step: 'gather', accountId: '1234', runId: 'run-1', startedAt: STARTED_AT },
      'invalid event accountId: "1234" is not a 12-digit account ID',
    );
    rejects(
      { step: 'gather', accountId: '111122223333', runId: '../x', startedAt: STARTED_AT },
      'invalid event runId: "../x" is not a run ID (1-128 letters, digits, ., _ or -)',
    );
    rejects({ step: 'decide', runId: 'run-1', startedAt: 'monday', listingKey: 'k' }, 'invalid event startedAt: "monday" is not an ISO timestamp like 2026-01-05T06:00:00.000Z');
    rejects({ step: 'list', accountId: '111122223333' }, 'invalid event accountId: unknown field of the list step');
  });

  it('rejects an invalid event before reading its environment or calling AWS', async () => {
    const saved = { ...process.env };
    delete process.env.REPORT_BUCKET;
    delete process.env.TOPIC_ARN;
    try {
      const context = { invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:f', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
      await expect(handler({ step: 'gather', runId: 'run-1', startedAt: STARTED_AT }, context)).rejects.toThrow(
        'invalid event accountId: missing (the gather step needs it)',
      );
    } finally {
      process.env = saved;
    }
  });
});

describe('org-handler pieces', () => {
  it('chooses the members under the OUs, minus the excluded accounts', () => {
    const members = ['111111111111', '222222222222', '333333333333'];
    expect(chooseAccounts(members, undefined, [])).toEqual(members);
    expect(chooseAccounts(members, ['222222222222', '333333333333', '999999999999'], ['333333333333'])).toEqual(['222222222222']);
  });

  it('runs an organization scan with the deployed settings and member role', () => {
    const config = orgRunConfig(parseSettings({ mode: 'protect', regions: 'eu-west-1', orgRoleName: 'reader' }));
    expect(config).toMatchObject({ command: 'scan', trigger: 'schedule', mode: 'protect', regions: ['eu-west-1'], org: { roleName: 'reader' } });
  });

  it('reads account failures out of the map results', () => {
    expect(
      executionFailure({ Input: '{"accountId":"111122223333"}', Status: 'FAILED', Error: 'States.Timeout', Cause: 'timed out' }),
    ).toEqual({ accountId: '111122223333', message: 'gather failed: States.Timeout: timed out' });
    expect(
      executionFailure({ Input: '{}', Output: '{"accountId":"222222222222","error":"role not assumed: AccessDenied"}', Status: 'SUCCEEDED' }),
    ).toEqual({ accountId: '222222222222', message: 'role not assumed: AccessDenied' });
    expect(executionFailure({ Input: '{"accountId":"1"}', Output: '{"accountId":"1","key":"k"}', Status: 'SUCCEEDED' })).toBeUndefined();
    expect(executionFailure({ Input: 'not json', Status: 'FAILED' })).toBeUndefined();
  });

  it('hands gathered evidence over with its Maps intact', () => {
    const stored = { inventory: { images: [], failedRegions: new Map([['eu-west-1', 'denied']]) }, errors: [] };
    const back = fromJson<typeof stored>(toJson(stored));
    expect(back.inventory.failedRegions.get('eu-west-1')).toBe('denied');
  });
});
