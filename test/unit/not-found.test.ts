// An image named to `check` that was not found: why, truthfully.

import { notFoundDecision } from '../../lambda/engine/verdict';

describe('notFoundDecision', () => {
  it('names the failed listing, not ownership, when the region could not be listed', () => {
    const decision = notFoundDecision('ami-00000001', ['us-east-1', 'eu-west-1'], new Map([['eu-west-1', 'AccessDenied: no']]));
    expect(decision.verdict).toBe('unverified');
    expect(decision.reasons).toEqual([
      { code: 'check-failed', check: 'inventory', message: 'images of eu-west-1 could not be listed: AccessDenied: no; whether this account owns ami-00000001 there is not known' },
    ]);
  });

  it('says the account does not own it when every listing completed', () => {
    expect(notFoundDecision('ami-00000001', ['us-east-1']).reasons[0]).toMatchObject({ message: 'ami-00000001 is not an image this account owns in us-east-1' });
  });
});
