/** `zpkg vercmp A B` prints `<`, `=` or `>`; `zpkg vercmp -` compares one `A B` pair per stdin line. */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { compareVersions, parseVersion, sign } from '../../core/version.js';

/** Validates both (a typed error names a bad one), then compares. */
function compareChecked(a: string, b: string): '<' | '=' | '>' {
  parseVersion(a);
  parseVersion(b);
  return sign(compareVersions(a, b));
}
import type { Context } from '../context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('vercmp')
    .description('compare two versions with Debian ordering: prints <, = or >; `-` reads "A B" pairs from stdin')
    .argument('<a>', 'first version, or - to read pairs from stdin')
    .argument('[b]', 'second version')
    .action(async (a: string, b: string | undefined, _opts, cmd: Command) => {
      const report = ctx.report(cmd);
      if (a !== '-') {
        if (b === undefined) throw new ZpkgError('E_USAGE', 'vercmp needs two versions, or `-` to read pairs from stdin');
        const result = compareChecked(a, b);
        report.result({ a, b, result }, (r) => r.result);
        return;
      }
      let bad = 0;
      let lineNo = 0;
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        lineNo += 1;
        if (line.trim() === '') continue;
        const parts = line.trim().split(/\s+/);
        try {
          if (parts.length !== 2) throw new ZpkgError('E_INPUT_INVALID', `expected two versions, got ${parts.length === 1 ? '1 field' : `${parts.length} fields`}`);
          const result = compareChecked(parts[0]!, parts[1]!);
          report.item({ a: parts[0], b: parts[1], result }, (r) => r.result);
        } catch (err) {
          bad += 1;
          const message = err instanceof Error ? err.message : String(err);
          report.item({ line: lineNo, error: message }, () => '!');
          report.warn(`line ${lineNo}: ${message}`);
        }
      }
      if (bad) process.exitCode = 1;
    });
}
