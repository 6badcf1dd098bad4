// The harness itself: a refusal it accepts, and one it must reject.
import { describe, expect, it } from 'vitest';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf } from '../helpers/hostile.js';
import { ok } from '../helpers/zpkg.js';

describe('hostile harness', () => {
  it('accepts a clean refusal and catches a change to the image', async () => {
    const world = hostileWorld();
    const content = Buffer.from('hello\n');
    await craft(world.repo, manifestOf('plain', [fileAction('usr/share/plain', content)]), [content]);
    const root = hostileImage(world, 'img');
    expectRefused(world, root, ['install', 'no-such-package'], { code: 'E_PACKAGE_UNKNOWN', message: /no-such-package/ });
    // An install that succeeds changes the image: the harness must not call that a refusal.
    expect(() => expectRefused(world, root, ['install', 'plain'], { code: 'E_UNSATISFIABLE' })).toThrow();
    ok(['--root', root, 'verify']);
  });
});
