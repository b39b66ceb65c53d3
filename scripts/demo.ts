// `npm run demo`: a seeded, realistic account in the local sandbox, then a scan and a check in
// report mode with the text report. No AWS account needed.

import { generateAccount, startSandbox } from '../sandbox';
import { runCliProcess, sandboxEnvironment } from './cli-process';

const REGIONS = ['us-east-1', 'eu-west-1'];

async function main(): Promise<void> {
  const generated = generateAccount({ seed: 1, images: 200, regions: REGIONS, now: new Date() });
  const sandbox = await startSandbox(generated.account, { latencyMs: 5, throttle: true });
  const env = sandboxEnvironment(sandbox.url, REGIONS[0]);
  const say = (text: string): void => void process.stdout.write(`\n\u001b[1m${text}\u001b[0m\n\n`);
  try {
    say(`Sandbox account ${generated.account.accountId} at ${sandbox.url}: ${generated.account.images.length} images, ${generated.account.instances.length} instances, ${generated.account.launchTemplates.length} launch templates`);

    const scanArgs = ['scan', '--region', REGIONS.join(','), '--topic-arn', generated.topicArn];
    say(`$ ami-guard ${scanArgs.join(' ')}`);
    const scan = await runCliProcess(scanArgs, env, { inheritStdout: true });
    process.stderr.write(scan.stderr);
    say(`exit status ${scan.code} (0: completed; 1: some image could not be verified)`);
    const published = sandbox.state.published.at(-1);
    if (published) say(`Published to SNS: "${published.subject}" (${Buffer.byteLength(published.message)} bytes, per-protocol JSON)`);

    const owned = Object.entries(generated.truth);
    const blocked = owned.find(([, truth]) => truth.expected === 'blocked' && truth.why.some((w) => w.startsWith('referenced')));
    const safe = owned.find(([, truth]) => truth.expected === 'safe');
    const ids = [blocked?.[0], safe?.[0], 'ami-0000000000000dead'].filter((i): i is string => i !== undefined);
    const checkArgs = ['check', ...ids, '--region', REGIONS.join(',')];
    say(`$ ami-guard ${checkArgs.join(' ')}`);
    const check = await runCliProcess(checkArgs, env, { inheritStdout: true });
    process.stderr.write(check.stderr);
    say(`exit status ${check.code} (1: at least one image is not safe to deregister)`);
    const reads = sandbox.calls.filter((c) => /^(Describe|Get|List)/.test(c.action) || c.action === 'Publish').length;
    say(`${sandbox.calls.length} AWS calls served by the sandbox; ${sandbox.calls.length - reads} of them changed anything.`);
  } finally {
    await sandbox.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
