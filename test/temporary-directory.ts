// jest's globalSetup and globalTeardown: every temporary file of a test run (CDK's cdk.out of each
// synthesized app, packed tarballs, browser profiles) goes in one directory, removed at the end.
// Without it each `npm test` left a few hundred MB of cdk.out directories in the system's tmp.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEY = 'AMI_GUARD_TEST_TMPDIR';

export function setup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'ami-guard-test-'));
  // Set before jest starts its workers, which inherit the environment: os.tmpdir() reads TMPDIR.
  process.env[KEY] = dir;
  process.env.TMPDIR = dir;
}

export function teardown(): void {
  const dir = process.env[KEY];
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
