import { statusOf } from '../../lambda/aws/organization';

describe('an organization account status', () => {
  it.each([
    [{ State: 'ACTIVE', Status: 'ACTIVE' }, 'ACTIVE'],
    [{ Status: 'ACTIVE' }, 'ACTIVE'],
    [{ State: 'ACTIVE' }, 'ACTIVE'],
    [{ State: 'SUSPENDED', Status: 'SUSPENDED' }, 'SUSPENDED'],
    [{ State: 'PENDING_CLOSURE', Status: 'ACTIVE' }, 'PENDING_CLOSURE'],
    [{ State: 'ACTIVE', Status: 'PENDING_CLOSURE' }, 'PENDING_CLOSURE'],
    [{ State: 'CLOSED' }, 'CLOSED'],
    [{ State: 'PENDING_ACTIVATION' }, 'PENDING_ACTIVATION'],
    [{}, 'UNKNOWN'],
    [{ State: '', Status: '' }, 'UNKNOWN'],
  ])('%j is %s', (account, expected) => {
    expect(statusOf(account)).toBe(expected);
  });
});
