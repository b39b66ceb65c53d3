// The CLI adapter: arguments -> RunConfig -> run -> report on stdout (and SNS) -> exit status.
// Exit status: 0 completed (check: every image safe); 1 check: an image blocked or
// unverified, scan: an image unverified, or the run failed; 2 invalid arguments, nothing done.
//
// This file parses the arguments and answers --help and --version itself; a command that runs
// loads ./commands (the SDK clients, the pipeline, the report writers) only then. The bundled
// CLI ships that part as a second file, so `--version` and `--help` start as fast as node does.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from './args';
import type { CliIo } from './io';
import { InvalidInputError } from './validate';

export type { CliIo };

export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv, packageVersion(), { out: (s) => io.stdout.write(s), err: (s) => io.stderr.write(s) });
  } catch (error) {
    if (error instanceof InvalidInputError) {
      io.stderr.write(`ami-guard: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (parsed.kind === 'exit') return parsed.code;
  return (await import('./commands')).runCommand(parsed, io);
}

function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i += 1) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ami-guard' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

