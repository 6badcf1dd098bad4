/// <reference lib="dom" />
/**
 * The site's one script, run in the browser (serialised with
 * Function.prototype.toString into assets/site-HASH.js, so it must not close
 * over anything outside itself). Every page: says how far away the root
 * metadata's expiry is. The index page: the search — shards of the index
 * (search-index.ts) loaded by script elements, then each keystroke answered
 * from memory: exact name, names starting with the query, names containing
 * it, summaries containing every word, paths containing it. Text reaches the
 * page only as textContent. Each answer's time is kept in
 * `window.zpkgSearchTimings` and on `#results` (`data-ms`, `data-query`).
 */
export function browserMain(): void {
  const w = window as unknown as Record<string, unknown>;

  // --- expiry -------------------------------------------------------------
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-expires]'))) {
    const at = Date.parse(el.dataset.expires ?? '');
    const status = el.parentElement?.querySelector<HTMLElement>('[data-expiry-status]');
    if (!status || Number.isNaN(at)) continue;
    const days = Math.round((at - Date.now()) / 86_400_000);
    const hours = Math.round((at - Date.now()) / 3_600_000);
    const span = Math.abs(days) >= 1 ? `${Math.abs(days)} day${Math.abs(days) === 1 ? '' : 's'}` : `${Math.abs(hours)} hour${Math.abs(hours) === 1 ? '' : 's'}`;
    status.textContent = at <= Date.now() ? `(expired ${span} ago: images refuse it until it is signed again)` : `(in ${span})`;
    status.className = at <= Date.now() ? 'bad' : at - Date.now() < 7 * 86_400_000 ? 'warn' : 'muted';
  }

  // --- search -------------------------------------------------------------
  const root = document.getElementById('search');
  const input = document.getElementById('q') as HTMLInputElement | null;
  const results = document.getElementById('results');
  const statusLine = document.getElementById('search-status');
  if (!root || !input || !results || !statusLine) return;

  interface NameShard { start: number; names: string[]; versions: string[]; summaries: string[]; slugs: string[]; nameHay: string; nameStarts: number[]; sumHay: string; sumStarts: number[] }
  interface PathShard { paths: string[]; pkgs: number[]; hay: string; starts: number[] }
  const nameShards: NameShard[] = [];
  const pathShards: PathShard[] = [];
  const exact = new Map<string, [NameShard, number]>();
  const wantNames = (root.dataset.names ?? '').split(' ').filter(Boolean);
  const wantPaths = (root.dataset.paths ?? '').split(' ').filter(Boolean);
  let loaded = 0;
  let failed: string | undefined;
  const timings: { query: string; ms: number }[] = [];
  w.zpkgSearchTimings = timings;

  const haystack = (items: string[]): { hay: string; starts: number[] } => {
    const starts: number[] = [];
    let pos = 1;
    for (const s of items) {
      starts.push(pos);
      pos += s.length + 1;
    }
    const hay = `\n${items.join('\n').toLowerCase()}\n`;
    // A search that misses scans the whole string: done once here, it makes the engine flatten
    // the concatenation while the index loads, not at the first keystroke that scans it (80 ms on Debian's).
    hay.indexOf('\u0000');
    return { hay, starts };
  };
  /** Index of the item whose text contains haystack offset `at`. */
  const itemAt = (starts: number[], at: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  w.zpkgShard = (kind: string, start: number, text: string): void => {
    const rows = text === '' ? [] : text.split('\n');
    if (kind === 'n') {
      const s: NameShard = { start, names: [], versions: [], summaries: [], slugs: [], nameHay: '', nameStarts: [], sumHay: '', sumStarts: [] };
      for (const row of rows) {
        const f = row.split('\t');
        s.names.push(f[0] ?? '');
        s.versions.push(f[1] ?? '');
        s.summaries.push(f[2] ?? '');
        s.slugs.push(f[3] || f[0] || '');
      }
      const n = haystack(s.names);
      s.nameHay = n.hay;
      s.nameStarts = n.starts;
      const m = haystack(s.summaries);
      s.sumHay = m.hay;
      s.sumStarts = m.starts;
      s.names.forEach((name, i) => exact.set(name, [s, i]));
      nameShards.push(s);
      nameShards.sort((a, b) => a.start - b.start);
    } else {
      const s: PathShard = { paths: [], pkgs: [], hay: '', starts: [] };
      for (const row of rows) {
        const tab = row.lastIndexOf('\t');
        s.paths.push(row.slice(0, tab));
        s.pkgs.push(Number(row.slice(tab + 1)));
      }
      const hs = haystack(s.paths);
      s.hay = hs.hay;
      s.starts = hs.starts;
      pathShards.push(s);
    }
  };

  const packageAt = (global: number): [NameShard, number] | undefined => {
    for (const s of nameShards) if (global >= s.start && global < s.start + s.names.length) return [s, global - s.start];
    return undefined;
  };

  const LIMIT = 50;
  interface Hit { shard: NameShard; i: number; path?: string }

  const search = (raw: string): { hits: Hit[]; more: boolean } => {
    const q = raw.trim().toLowerCase();
    const hits: Hit[] = [];
    const seen = new Set<string>();
    let more = false;
    const add = (shard: NameShard, i: number, path?: string): boolean => {
      const key = shard.names[i]!;
      if (seen.has(key)) return true;
      if (hits.length >= LIMIT) {
        more = true;
        return false;
      }
      seen.add(key);
      hits.push(path === undefined ? { shard, i } : { shard, i, path });
      return true;
    };
    if (q === '') return { hits, more };
    const ex = exact.get(q);
    if (ex) add(ex[0], ex[1]);
    // names starting with, then containing, the query
    for (const pass of [0, 1]) {
      for (const s of nameShards) {
        let at = s.nameHay.indexOf(pass === 0 ? `\n${q}` : q);
        while (at >= 0) {
          const i = itemAt(s.nameStarts, pass === 0 ? at + 1 : at);
          if (!add(s, i)) break;
          at = s.nameHay.indexOf(pass === 0 ? `\n${q}` : q, s.nameStarts[i]! + s.names[i]!.length);
        }
        if (more) break;
      }
      if (more) break;
    }
    // summaries holding every word
    const words = q.split(/\s+/).filter(Boolean).sort((a, b) => b.length - a.length);
    if (!more && words.length > 0) {
      for (const s of nameShards) {
        let at = s.sumHay.indexOf(words[0]!);
        while (at >= 0) {
          const i = itemAt(s.sumStarts, at);
          const text = `${s.names[i]} ${s.summaries[i]}`.toLowerCase();
          if (words.every((wd) => text.includes(wd)) && !add(s, i)) break;
          at = s.sumHay.indexOf(words[0]!, s.sumStarts[i]! + s.summaries[i]!.length);
        }
        if (more) break;
      }
    }
    // paths (a leading slash is optional)
    const pq = q.replace(/^\/+/, '');
    if (!more && pq.length >= 2) {
      for (const s of pathShards) {
        let at = s.hay.indexOf(pq);
        while (at >= 0) {
          const i = itemAt(s.starts, at);
          const pkg = packageAt(s.pkgs[i]!);
          if (pkg && !add(pkg[0], pkg[1], s.paths[i]!)) break;
          at = s.hay.indexOf(pq, s.starts[i]! + s.paths[i]!.length);
        }
        if (more) break;
      }
    }
    return { hits, more };
  };

  const el = (tag: string, cls: string | undefined, text: string): HTMLElement => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    e.textContent = text;
    return e;
  };

  const render = (raw: string): void => {
    const t0 = performance.now();
    const q = raw.trim();
    if (failed) {
      statusLine.textContent = failed;
      statusLine.className = 'bad';
      return;
    }
    const ready = loaded === wantNames.length + wantPaths.length;
    const { hits, more } = search(q);
    const items: HTMLElement[] = hits.map((hit) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `p/${hit.shard.slugs[hit.i]}.html`;
      a.appendChild(el('span', 'rn', hit.shard.names[hit.i]!));
      a.appendChild(document.createTextNode(' '));
      a.appendChild(el('span', 'rv', hit.shard.versions[hit.i]!));
      li.appendChild(a);
      li.appendChild(el('span', 'rs', ` ${hit.shard.summaries[hit.i]!}`));
      if (hit.path !== undefined) li.appendChild(el('span', 'rp', ` delivers /${hit.path}`));
      return li;
    });
    results.replaceChildren(...items);
    statusLine.className = '';
    statusLine.textContent = q === '' ? '' : hits.length === 0 ? `No package matches “${q}”${ready ? '' : ' yet (the index is still loading)'}.` : `${more ? `The first ${hits.length}` : hits.length} ${hits.length === 1 && !more ? 'package matches' : 'packages match'} “${q}”${more ? ': type more to narrow it' : ''}${ready ? '' : ' (the index is still loading)'}.`;
    const ms = performance.now() - t0;
    timings.push({ query: q, ms });
    results.dataset.ms = ms.toFixed(2);
    results.dataset.query = q;
    results.dataset.ready = String(ready);
  };

  const loadShard = (src: string): void => {
    const s = document.createElement('script');
    s.src = src;
    s.async = true;
    s.onload = (): void => {
      loaded += 1;
      if (loaded === wantNames.length + wantPaths.length) root.dataset.loaded = 'true';
      render(input.value);
    };
    s.onerror = (): void => {
      failed = `The search index could not be loaded (${src}): this copy of the site is incomplete. Browse the packages instead.`;
      root.dataset.loaded = 'error';
      render(input.value);
    };
    document.head.appendChild(s);
  };
  for (const src of [...wantNames, ...wantPaths]) loadShard(src);

  input.addEventListener('input', () => {
    render(input.value);
    const url = new URL(location.href);
    if (input.value.trim()) url.searchParams.set('q', input.value.trim());
    else url.searchParams.delete('q');
    history.replaceState(null, '', url.toString());
  });
  input.form?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    (results.querySelector('a') as HTMLElement | null)?.focus();
  });
  // Arrow keys move between the input and the results; Escape returns to the input.
  const links = (): HTMLElement[] => Array.from(results.querySelectorAll('a'));
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' && links()[0]) {
      ev.preventDefault();
      links()[0]!.focus();
    }
  });
  results.addEventListener('keydown', (ev) => {
    const all = links();
    const i = all.indexOf(document.activeElement as HTMLElement);
    if (ev.key === 'ArrowDown' && i >= 0 && i + 1 < all.length) {
      ev.preventDefault();
      all[i + 1]!.focus();
    } else if (ev.key === 'ArrowUp' && i >= 0) {
      ev.preventDefault();
      (i === 0 ? input : all[i - 1]!).focus();
    } else if (ev.key === 'Escape') {
      input.focus();
    }
  });
  const initial = new URL(location.href).searchParams.get('q');
  if (initial) {
    input.value = initial;
    render(initial);
  }
}
