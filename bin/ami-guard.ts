#!/usr/bin/env node
// The `ami-guard` command (the package's bin entry).

import { main } from '../lambda/cli/main';

// The SDK inside this bundle is pinned and tested on every supported Node.js version: its notice
// that SDK releases from 2027 need Node.js 22 concerns upgrading the SDK, not the user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ami-guard: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
