/**
 * The repository page: what a person checks before trusting a repository —
 * its keys and their fingerprints, how many must sign, whether this root
 * metadata is signed by enough of them, its version, when it was published
 * and when it expires (the page's script says how long from now), the key
 * rotations, and the one command that adds it to an image.
 */
import { formatPublicKey } from '../../repo/trust/keys.js';
import { formatBytes, formatCount, formatTime, h } from '../html.js';
import type { SiteModel } from '../model.js';
import { page, type SiteMeta } from './shell.js';

export function repositoryPage(model: SiteModel, meta: SiteMeta, baseUrl: string | undefined, now: Date): string {
  const { root, validSigners, signatureKeys, rotations } = model.input;
  const keys = Object.entries(root.keys);
  const signed = root.threshold > 0;
  const met = validSigners.length >= root.threshold;
  const expired = root.expires !== undefined && Date.parse(root.expires) <= now.getTime();
  const url = baseUrl ?? 'URL';
  const keyArgs = keys.map(([, e]) => `--key ${formatPublicKey(e)}`).join(' ');
  const status = !signed
    ? h`<span class="bad">unsigned</span>: images can add it only with <code>--insecure</code>`
    : met
      ? h`<span class="good">valid</span>: signed by ${validSigners.length} of its ${keys.length} key${keys.length === 1 ? '' : 's'}, ${root.threshold} required`
      : h`<span class="bad">not enough valid signatures</span>: ${validSigners.length} of ${root.threshold} required`;
  const body = h`<h1>Repository</h1>
<dl class="facts"><dt>Location</dt><dd><code>${baseUrl ?? model.input.location}</code></dd>
<dt>Repository id</dt><dd><code>${root.repository}</code></dd>
<dt>Root metadata</dt><dd>version ${root.version}</dd>
<dt>Last publish</dt><dd><time datetime="${root.created}">${formatTime(root.created)}</time></dd>
<dt>Expires</dt><dd>${root.expires ? h`<time datetime="${root.expires}" data-expires="${root.expires}">${formatTime(root.expires)}</time> <span class="${expired ? 'bad' : 'muted'}" data-expiry-status>${expired ? '(expired when this page was made)' : ''}</span>` : 'never (unsigned repository)'}</dd>
<dt>Signatures</dt><dd id="signature-status">${status}</dd>
<dt>Key generation</dt><dd>${root.keyGeneration}</dd></dl>
<h2>Keys</h2>${keys.length === 0 ? h`<p>No keys: this repository is not signed.</p>` : h`<p>Threshold: ${root.threshold} of ${keys.length} must sign every root metadata.</p><div class="scroll"><table><caption class="vh">Signing keys</caption><thead><tr><th scope="col">Fingerprint (key id)</th><th scope="col">Public key</th><th scope="col">Signed this version</th></tr></thead><tbody>
${keys.map(([id, e]) => h`<tr><td><code class="digest">${id}</code></td><td><code class="digest">${formatPublicKey(e)}</code></td><td>${validSigners.includes(id) ? h`<span class="good">yes</span>` : signatureKeys.includes(id) ? h`<span class="bad">bad signature</span>` : 'no'}</td></tr>`)}
</tbody></table></div>`}
${signatureKeys.filter((k) => !Object.hasOwn(root.keys, k)).length ? h`<p class="bad">Also signed by keys that are not among its keys: ${signatureKeys.filter((k) => !Object.hasOwn(root.keys, k)).join(', ')}.</p>` : ''}
<h2>Use it</h2><p>Add it to an image${keys.length ? ', trusting its keys' : ''}:</p><pre class="cmd"><code>zpkg remote add NAME ${url} ${keys.length ? keyArgs : '--insecure'}</code></pre>${baseUrl ? '' : h`<p class="muted">Replace <code>URL</code> with where the repository is served (<code>zpkg repo site --base-url URL</code> puts it here).</p>`}
<h2>Catalog</h2><dl class="facts"><dt>Packages</dt><dd>${formatCount(root.catalog.packages)} versions of ${formatCount(model.names.length)} packages</dd>
<dt>Catalog</dt><dd><code class="digest">${root.catalog.digest}</code> (${formatBytes(root.catalog.size)})</dd>
<dt>File index</dt><dd>${root.files ? h`<code class="digest">${root.files.digest}</code> (${formatBytes(root.files.size)})` : 'none'}</dd></dl>
${rotations.length ? h`<h2>Key rotations</h2><ul>${rotations.map((r) => h`<li>generation ${r.generation}, <time datetime="${r.created}">${formatTime(r.created)}</time>: ${r.keys.length} key${r.keys.length === 1 ? '' : 's'}, threshold ${r.threshold}</li>`)}</ul>` : ''}`;
  return page(meta, { path: 'repository.html', title: 'Repository', body });
}
