// `npm run fuzz -- [--runs N] [--seed S] [--path P] [--without PARTS]`
// Runs the generated adversarial tests (test/fuzz) with N cases instead of the 200 of `npm test`.
// A failure prints its seed and path; pass both back to replay exactly that case (and its shrunk
// counterexample) without searching again. `--without organization,member-copies,edits,mid-run,faults,recycle-bin`
// (any of them) leaves those parts out of every case, to look past a failure already known.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';

const root = join(__dirname, '..', '..');

const program = new Command('fuzz')
  .option('--runs <n>', 'generated cases', '200')
  .option('--seed <n>', 'fast-check seed (default: a random one, printed on failure)')
  .option('--path <path>', 'replay path printed with a failure (needs --seed)')
  .option('--without <parts>', 'comma-separated parts to leave out: organization, member-copies, edits, mid-run, faults, recycle-bin')
  .parse(process.argv);
const options = program.opts<{ runs: string; seed?: string; path?: string; without?: string }>();

for (const [name, value] of [['--runs', options.runs], ['--seed', options.seed]] as const) {
  if (value !== undefined && !/^-?\d+$/.test(value)) {
    process.stderr.write(`fuzz: ${name} must be a whole number, got "${value}"\n`);
    process.exit(2);
  }
}
if (options.path !== undefined && options.seed === undefined) {
  process.stderr.write('fuzz: --path replays a failure only together with its --seed\n');
  process.exit(2);
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  FUZZ_RUNS: options.runs,
  ...(options.seed !== undefined ? { FUZZ_SEED: options.seed } : {}),
  ...(options.path !== undefined ? { FUZZ_PATH: options.path } : {}),
  ...(options.without !== undefined ? { FUZZ_WITHOUT: options.without } : {}),
};
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const result = spawnSync(process.execPath, [jest, '--runInBand', 'test/fuzz'], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
