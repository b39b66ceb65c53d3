import { parseArgs, type ParseResult } from '../../lambda/cli/args';
import { InvalidInputError } from '../../lambda/cli/validate';

function parse(argv: string[]): { result: ParseResult; out: string; err: string } {
  let out = '';
  let err = '';
  const result = parseArgs(argv, '1.2.3', { out: (s) => (out += s), err: (s) => (err += s) });
  return { result, out, err };
}

describe('the CLI conventions', () => {
  it('answers -h and --help with examples and the exit codes, exit 0', () => {
    for (const flag of ['-h', '--help']) {
      const { result, out } = parse([flag]);
      expect(result).toEqual({ kind: 'exit', code: 0 });
      expect(out).toContain('Examples:');
      expect(out).toContain('ami-guard check ami-0123456789abcdef0');
      expect(out).toContain('--format html > report.html');
      expect(out).toMatch(/Exit status:\n {2}0 {2}the run completed[^\n]*\n {2}1 {2}check: [^\n]*\n {2}2 {2}invalid arguments/);
    }
    const { result, out } = parse(['scan', '-h']);
    expect(result).toEqual({ kind: 'exit', code: 0 });
    expect(out).toContain('--markdown-limit <chars>');
  });

  it('answers -V and --version with the version, exit 0', () => {
    for (const flag of ['-V', '--version']) {
      const { result, out } = parse([flag]);
      expect(result).toEqual({ kind: 'exit', code: 0 });
      expect(out.trim()).toBe('1.2.3');
    }
  });

  it('takes --format html and --format markdown with --markdown-limit', () => {
    const html = parse(['scan', '--format', 'html']).result;
    expect(html.kind === 'run' && html.request.format).toBe('html');
    const markdown = parse(['scan', '--format', 'markdown', '--markdown-limit', '1048576']).result;
    expect(markdown.kind === 'run' && markdown.request.markdownLimit).toBe(1_048_576);
    const byDefault = parse(['check', 'ami-0123456789abcdef0', '--format', 'markdown']).result;
    expect(byDefault.kind === 'run' && byDefault.request.markdownLimit).toBe(65_536);
  });

  it('rejects a --markdown-limit that is not a whole number, too small, or without --format markdown', () => {
    const rejects = (argv: string[], message: RegExp): void => expect(() => parse(argv)).toThrow(message);
    rejects(['scan', '--format', 'markdown', '--markdown-limit', 'lots'], /invalid --markdown-limit "lots": expected a whole number/);
    rejects(['scan', '--format', 'markdown', '--markdown-limit', '100'], /invalid --markdown-limit "100": expected at least 4096 characters/);
    rejects(['scan', '--markdown-limit', '9000'], /--markdown-limit needs --format markdown/);
    expect(() => parse(['scan', '--format', 'pdf'])).toThrow(InvalidInputError);
  });
});
