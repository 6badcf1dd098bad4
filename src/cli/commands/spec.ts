/** Package specs on the command line: `name`, `name (>= 1.2)`, and the shorthand `name>=1.2` / `name=1.2`. */
import { ZpkgError } from '../../core/errors.js';
import { parseAtom, type Atom } from '../../core/relation.js';

export function parseSpec(text: string): Atom {
  const short = /^([^\s<>=()]+)\s*(<<|<=|>=|>>|=|<|>)\s*([^\s()]+)$/.exec(text);
  const source = short ? `${short[1]} (${short[2]} ${short[3]})` : text;
  try {
    return parseAtom(source);
  } catch (err) {
    throw new ZpkgError('E_USAGE', `package spec \`${text}\`: ${(err as Error).message}`, { hint: 'write NAME, NAME=VERSION or "NAME (>= VERSION)"' });
  }
}
