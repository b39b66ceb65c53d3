import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CliError, parseCliArgs } from '../../sandbox/cli';

let dir: string;
let cli: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  cli = join(dir, 'cli.js');
  // the same source `npm run build` compiles to dist/sandbox/cli.js, bundled for a quick spawn
  // (esbuild runs in a child process: its synchronous API hangs inside jest's sandbox)
  const options = { entryPoints: [join(__dirname, '../../sandbox/cli.ts')], bundle: true, platform: 'node', outfile: cli, logLevel: 'error' };
  const r = spawnSync(process.execPath, ['-e', `require('esbuild').buildSync(${JSON.stringify(options)})`], {
    cwd: join(__dirname, '../..'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseCliArgs', () => {
  it('parses every flag, in both --flag value and --flag=value forms', () => {
    expect(parseCliArgs(['--seed', '7', '--images=40', '--port', '8123', '--regions', 'us-east-1,eu-west-1', '--throttle', '--latency-ms', '5'])).toEqual({
      seed: 7,
      images: 40,
      port: 8123,
      regions: ['us-east-1', 'eu-west-1'],
      throttle: true,
      latencyMs: 5,
      accountId: '111122223333',
    });
  });

  it('rejects invalid input', () => {
    for (const argv of [['--seed'], ['--images', 'x'], ['--port', '70000'], ['--regions', 'moon'], ['--bogus'], ['--account', '12']]) {
      expect(() => parseCliArgs(argv)).toThrow(CliError);
    }
  });
});

describe('sandbox CLI', () => {
  it('prints the endpoint and exports, serves, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--seed', '2', '--images', '60', '--regions', 'us-east-1,eu-west-1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('export AWS_REGION=')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const url = /export AWS_ENDPOINT_URL=(\S+)/.exec(out)?.[1] as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out).toContain('export AWS_ACCESS_KEY_ID=test');
      expect(out).toContain('export AWS_SECRET_ACCESS_KEY=test');
      expect(out).toContain('export AWS_REGION=us-east-1');
      const client = new EC2Client({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const r = await client.send(new DescribeImagesCommand({ Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true }));
      expect((r.Images ?? []).length).toBeGreaterThan(0);
      client.destroy();
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    const code = await new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });

  it('exits 2 with one line on stderr for invalid flags', () => {
    const r = spawnSync(process.execPath, [cli, '--images', 'many'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--images');
    expect(r.stdout).toBe('');
  });
});
