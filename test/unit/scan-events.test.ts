import { InvalidEventError, parseScanEvent } from '../../lambda/scan-handler';

const RUN = { runId: '0b6c2f4e-8d1a-4c3e-9f2b-7a5d6e8c9b10', startedAt: '2026-01-05T06:00:00.000Z' };

describe('the scan steps accept exactly their events', () => {
  it('start, gather and decide as the state machine sends them', () => {
    expect(parseScanEvent({ step: 'start' })).toEqual({ step: 'start' });
    expect(parseScanEvent({ step: 'gather', ...RUN, region: 'eu-west-1' })).toEqual({ step: 'gather', ...RUN, region: 'eu-west-1' });
    const regions = [
      { ...RUN, region: 'us-east-1', progress: { done: true, chunks: 3, remaining: 0 } },
      { ...RUN, region: 'eu-west-1', failed: { Error: 'Error', Cause: 'simulated crash' } },
    ];
    expect(parseScanEvent({ step: 'decide', ...RUN, regions })).toMatchObject({ step: 'decide', regions });
  });

  it('anything else is rejected before any AWS call, naming the bad field', () => {
    expect(() => parseScanEvent({ imageIds: ['ami-0123456789abcdef0'] })).toThrow(new InvalidEventError('invalid event step: missing is not one of start, gather, decide'));
    expect(() => parseScanEvent({ step: 'start', mode: 'cleanup' })).toThrow('invalid event mode: unknown field of the start step');
    expect(() => parseScanEvent({ step: 'gather', ...RUN, region: 'not a region' })).toThrow(/^invalid event region: /);
    expect(() => parseScanEvent({ step: 'gather', ...RUN, runId: 'x', region: 'eu-west-1' })).toThrow(/^invalid event runId: /);
    expect(() => parseScanEvent({ step: 'decide', ...RUN, regions: [{}] })).toThrow(/^invalid event regions\[0\]\.region: /);
    expect(() => parseScanEvent(null)).toThrow(InvalidEventError);
  });
});
