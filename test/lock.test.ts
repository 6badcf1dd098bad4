// One transaction per image: a second zpkg waits (and says so) or fails at once with --no-wait; readers never block.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockImage, openImage } from '../src/image/image.js';
import { BIN, ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

describe('image lock', () => {
  it('serializes changing commands and never blocks readers', async () => {
    const work = tempDir();
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 's1'), { name: 'one', version: '1' }, { 'etc/one': '1\n' });
    writePackage(join(work, 's2'), { name: 'two', version: '1' }, { 'etc/two': '2\n' });
    ok(['build', join(work, 's1'), join(work, 's2'), '--repo', repo]);
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', root, 'install', 'one']);

    // Another process (this test) holds the transaction lock.
    const image = openImage(root);
    const lock = lockImage(image);
    try {
      // The lock stays held until this test releases it: a zpkg that waited for it
      // would never return by itself, and the minute allowed here would run out.
      const refused = zpkg(['--root', root, '--json', 'install', '--no-wait', 'two'], { timeoutMs: 60_000 });
      expect(refused.signal, 'zpkg --no-wait still ran a minute later: it waited for the lock').toBeNull();
      expect(refused.status).toBe(1);
      expect(refused.json.error.code).toBe('E_IMAGE_LOCKED');

      // Readers go on while a writer holds the image.
      expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string }) => p.name)).toEqual(['one']);
      expect(zpkg(['--root', root, 'verify']).status).toBe(0);

      // A second writer waits, says so, and proceeds when the lock is released.
      const child = spawn(process.execPath, [BIN, '--root', root, 'install', 'two'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
      // Event-driven: however slowly the child starts, it says it waits before it can
      // go on (the lock is still held), or it exits, which fails the test.
      const waiting = new Promise<boolean>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('waiting for another zpkg')) resolve(true);
        });
        void exited.then(() => resolve(false));
      });
      expect(await waiting, `the second writer exited without waiting: ${stderr}`).toBe(true);
      expect(ok(['--root', root, '--json', 'list']).json.packages).toHaveLength(1);
      lock.release();
      expect(await exited).toBe(0);
    } finally {
      lock.release();
      image.close();
    }
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string }) => p.name)).toEqual(['one', 'two']);
  });
});
