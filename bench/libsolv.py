#!/usr/bin/python3
"""libsolv's side of the solver benchmark (bench/solver.ts) and of the
installability test (test/repo-import-check.test.ts), through python3-solv.

Run with the system interpreter (/usr/bin/python3): Debian's python3-solv is
not visible to a pyenv or venv python.

  libsolv.py write-solv PACKAGES OUT.solv
      load a plain Packages file and write it as a .solv file for `installcheck`
  libsolv.py solve PACKAGES --jobs gnome,kde-full --reps 5
      load the file, then solve each job (install NAME on an empty system,
      recommends ignored) `reps` times with a fresh solver; a file named
      *.solv is loaded as libsolv's own format (repo.add_solv) instead of
      Packages text (repo.add_debpackages)

Each prints one JSON document on stdout. Times are measured inside the process
(interpreter start-up and module import excluded), in seconds.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import solv


def load(path):
    """The pool as PEERS.md loads it: Debian semantics, amd64, an empty installed repo."""
    t0 = time.perf_counter()
    pool = solv.Pool()
    pool.setdisttype(solv.Pool.DISTTYPE_DEB)
    pool.setarch('amd64')  # after setdisttype, or nothing is selectable
    repo = pool.add_repo('main')
    f = solv.xfopen(path)
    add = repo.add_solv if path.endswith('.solv') else repo.add_debpackages
    if f is None or not add(f, 0):
        sys.exit(f'libsolv.py: cannot read {path}')
    f.close()
    t1 = time.perf_counter()
    pool.addfileprovides()
    pool.createwhatprovides()
    pool.installed = pool.add_repo('system')
    pool.createwhatprovides()
    t2 = time.perf_counter()
    return pool, repo, {'parse_s': t1 - t0, 'index_s': t2 - t1, 'total_s': t2 - t0, 'solvables': repo.nsolvables}


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def write_solv(args):
    pool, repo, loaded = load(args.packages)
    t0 = time.perf_counter()
    f = solv.xfopen(args.out, 'w')
    repo.write(f)
    f.close()
    print(json.dumps({'load': loaded, 'write_s': time.perf_counter() - t0, 'max_rss_kib': peak_rss_kib()}))


def solve(args):
    pool, _repo, loaded = load(args.packages)
    jobs_out = []
    for name in [j for j in args.jobs.split(',') if j]:
        sel = pool.select(name, solv.Selection.SELECTION_NAME)
        if sel.isempty():
            jobs_out.append({'name': name, 'ok': False, 'error': f'no package named {name}'})
            continue
        jobs = sel.jobs(solv.Job.SOLVER_INSTALL)
        seconds = []
        chosen = None
        problems = []
        for _ in range(args.reps):
            solver = pool.Solver()
            solver.set_flag(solv.Solver.SOLVER_FLAG_IGNORE_RECOMMENDED, 1)
            t0 = time.perf_counter()
            found = solver.solve(jobs)
            seconds.append(time.perf_counter() - t0)
            if found:
                problems = [str(p) for p in found]
            else:
                chosen = sorted(f'{s.name} {s.evr}' for s in solver.transaction().newsolvables())
        jobs_out.append({
            'name': name,
            'ok': not problems,
            'seconds': seconds,
            'first_s': seconds[0],
            'median_s': statistics.median(seconds),
            'chosen': len(chosen) if chosen is not None else None,
            'problems': problems,
        })
    print(json.dumps({'load': loaded, 'jobs': jobs_out, 'max_rss_kib': peak_rss_kib()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    w = sub.add_parser('write-solv')
    w.add_argument('packages')
    w.add_argument('out')
    w.set_defaults(run=write_solv)
    s = sub.add_parser('solve')
    s.add_argument('packages')
    s.add_argument('--jobs', required=True)
    s.add_argument('--reps', type=int, default=5)
    s.set_defaults(run=solve)
    args = ap.parse_args()
    args.run(args)


if __name__ == '__main__':
    main()
