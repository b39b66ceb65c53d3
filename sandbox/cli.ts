#!/usr/bin/env node
/**
 * Serves a generated account on loopback:
 *   node dist/sandbox/cli.js --seed 1 --images 300 [--port N] [--regions us-east-1,eu-west-1]
 *                            [--throttle] [--latency-ms N] [--account 111122223333]
 * Prints the endpoint and the shell lines to export, then serves until SIGINT/SIGTERM (exit 0).
 * Invalid flags: one line on stderr, exit 2.
 */
import { generateAccount } from './generator';
import { startSandbox } from './server';
import type { Sandbox } from './server';

export interface CliOptions {
  seed: number;
  images: number;
  port?: number;
  regions: string[];
  throttle: boolean;
  latencyMs: number;
  accountId: string;
}

export class CliError extends Error {}

const USAGE =
  'usage: sandbox --seed N --images N [--port N] [--regions r1,r2] [--throttle] [--latency-ms N] [--account ID]';

function intFlag(name: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw new CliError(`${name} needs an integer value`);
  const n = Number(raw);
  if (n < min || n > max) throw new CliError(`${name} must be between ${min} and ${max}`);
  return n;
}

/** Parses the command line (without `node` and the script). Throws CliError on invalid input. */
export function parseCliArgs(argv: string[]): CliOptions {
  const out: CliOptions = {
    seed: 1,
    images: 300,
    regions: ['us-east-1', 'eu-west-1'],
    throttle: false,
    latencyMs: 0,
    accountId: '111122223333',
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--seed':
        out.seed = intFlag('--seed', value(), 0, 2 ** 31 - 1);
        break;
      case '--images':
        out.images = intFlag('--images', value(), 0, 100000);
        break;
      case '--port':
        out.port = intFlag('--port', value(), 0, 65535);
        break;
      case '--latency-ms':
        out.latencyMs = intFlag('--latency-ms', value(), 0, 60000);
        break;
      case '--throttle':
        if (inline !== undefined) throw new CliError('--throttle takes no value');
        out.throttle = true;
        break;
      case '--regions': {
        const v = value();
        const regions = (v ?? '').split(',').map((r) => r.trim()).filter(Boolean);
        if (regions.length === 0 || regions.some((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r))) {
          throw new CliError('--regions needs a comma-separated list of region names (e.g. us-east-1,eu-west-1)');
        }
        out.regions = regions;
        break;
      }
      case '--account': {
        const v = value();
        if (!v || !/^\d{12}$/.test(v)) throw new CliError('--account needs a 12-digit account ID');
        out.accountId = v;
        break;
      }
      default:
        throw new CliError(`unknown argument: ${arg} (${USAGE})`);
    }
  }
  return out;
}

/** Starts the sandbox for these options and prints what a shell needs to use it. */
export async function runCli(opts: CliOptions, print: (line: string) => void): Promise<Sandbox> {
  const gen = generateAccount({ seed: opts.seed, images: opts.images, regions: opts.regions, accountId: opts.accountId });
  const sandbox = await startSandbox(gen.account, {
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    throttle: opts.throttle,
    latencyMs: opts.latencyMs,
    seed: opts.seed,
  });
  const truth = Object.values(gen.truth);
  const blocked = truth.filter((t) => t.expected === 'blocked').length;
  print(
    `ami-guard sandbox: account ${opts.accountId}, ${opts.images} owned images (${blocked} in use or otherwise blocked) in ${opts.regions.join(',')}`,
  );
  print(`endpoint: ${sandbox.url}`);
  print(`topic: ${gen.topicArn}`);
  print(`bucket: ${gen.bucket}`);
  print(`export AWS_ENDPOINT_URL=${sandbox.url}`);
  print('export AWS_ACCESS_KEY_ID=test');
  print('export AWS_SECRET_ACCESS_KEY=test');
  print(`export AWS_REGION=${opts.regions[0]}`);
  print('(Ctrl-C to stop)');
  return sandbox;
}

async function main(): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`sandbox: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  let sandbox: Sandbox;
  try {
    sandbox = await runCli(opts, (line) => process.stdout.write(`${line}\n`));
  } catch (e) {
    process.stderr.write(`sandbox: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  void main();
}
