/**
 * Packages with hooks, services and restart actuators for the lifecycle tests:
 * built from a real tree with the builder, their manifests extended the way a
 * recipe's `hooks:`/`services:` would, and published into a real repository.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPackage } from '../../src/build/build.js';
import { digestOf } from '../../src/core/digest.js';
import { encodeManifest, validateManifest, type HookPhase, type ServiceDecl } from '../../src/core/manifest.js';
import { openRepoWriter } from '../../src/repo/open.js';
import { publishPackages, type BuiltPackage } from '../../src/repo/publish.js';
import { signerFrom } from '../../src/cli/signing.js';
import { ok, TEST_KEY, TRUST, writePackage, type TreeEntry } from './zpkg.js';

export interface LifecyclePackage {
  name: string;
  version: string;
  depends?: string[];
  provides?: string[];
  files?: Record<string, TreeEntry>;
  /** A script per phase (`#!/bin/sh` is added when it has no `#!` line), or with its own timeout in seconds. */
  hooks?: Partial<Record<HookPhase, string | { script: string; timeout?: number }>>;
  services?: ServiceDecl[];
  /** Image path → services restarted when that file changes. */
  restart?: Record<string, string[]>;
}

let serial = 0;

export function buildLifecyclePackage(work: string, p: LifecyclePackage): BuiltPackage {
  const dir = join(work, `src-${p.name}-${p.version}-${++serial}`);
  writePackage(dir, { name: p.name, version: p.version, depends: p.depends ?? [], provides: p.provides ?? [] }, p.files ?? {});
  const built = buildPackage(dir);
  const manifest = { ...built.manifest };
  if (p.hooks) {
    mkdirSync(join(dir, 'hooks'), { recursive: true });
    manifest.hooks = {};
    for (const [phase, hook] of Object.entries(p.hooks)) {
      const h = typeof hook === 'string' ? { script: hook } : hook;
      const text = h.script.startsWith('#!') ? h.script : `#!/bin/sh\n${h.script}`;
      const file = join(dir, 'hooks', phase);
      writeFileSync(file, text);
      chmodSync(file, 0o755);
      const digest = digestOf(text);
      manifest.hooks[phase as HookPhase] = { digest, size: Buffer.byteLength(text), ...(h.timeout ? { timeout: h.timeout } : {}) };
      built.blobs.set(digest, file);
    }
  }
  if (p.services) manifest.services = p.services;
  if (p.restart) {
    manifest.actions = manifest.actions.map((a) => (a.type === 'file' && p.restart![a.path] ? { ...a, restart: p.restart![a.path]! } : a));
  }
  validateManifest(JSON.parse(JSON.stringify(manifest)));
  const { bytes, digest } = encodeManifest(manifest);
  return { manifest, bytes, digest, blobs: built.blobs };
}

/** Creates `repo` when needed and publishes the packages into it. */
export async function publishLifecycle(repo: string, work: string, pkgs: LifecyclePackage[]): Promise<void> {
  if (!existsSync(join(repo, 'root.json'))) ok(['repo', 'create', repo]);
  await publishPackages(openRepoWriter(repo), pkgs.map((p) => buildLifecyclePackage(work, p)), { signer: await signerFrom({ key: [TEST_KEY] }) });
}

/** Adds `repo` as the image's remote `main`. */
export function addMainRemote(image: string, repo: string): void {
  ok(['--root', image, 'remote', 'add', 'main', repo, ...TRUST]);
}

/** Writes the image's etc/zpkg/zpkg.yaml. */
export function writeImageConfig(image: string, yaml: string): void {
  mkdirSync(join(image, 'etc/zpkg'), { recursive: true });
  writeFileSync(join(image, 'etc/zpkg/zpkg.yaml'), yaml);
}
