/*
 * The zpkg launcher: the one file of the bundle that the kernel starts.
 *
 * It runs the bundled node through the bundled dynamic loader,
 *
 *   BUNDLE/lib/ld-linux-x86-64.so.2 --library-path BUNDLE/lib BUNDLE/node --liftoff-only --min-semi-space-size=4 --heap-growing-percent=100 BUNDLE/app/zpkg.js ARGS...
 *
 * so that node, its add-ons and everything they load come from BUNDLE/lib and
 * never from the host: the host's libc version (or having none at all) does not
 * matter. BUNDLE is the directory holding this launcher's real file
 * (/proc/self/exe, or argv[0] resolved through PATH where /proc is not mounted);
 * `usr/bin/zpkg` is a symlink to it.
 *
 * Built static (`cc -static`) by `npm run dist`, so it needs nothing either.
 * It exports ZPKG_BUNDLE=BUNDLE (zpkg finds its helper programs and knows it
 * runs from a bundle), sets UV_THREADPOOL_SIZE=8 unless set, and drops
 * NODE_OPTIONS and NODE_PATH: nothing of the host's Node set-up reaches zpkg.
 * Exit status 127 and a message when the bundle is incomplete.
 *
 * It also asks the bundled glibc to back malloc's large blocks with
 * transparent huge pages (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, added to
 * what the caller set): on the virtual machines zpkg runs on, the first touch
 * of a fresh 4 KiB page is a host fault costing tens of microseconds, and
 * zpkg's large buffers (a 14 MB decompressed catalog, main.js read whole,
 * staging buffers) paid one per page — 56 ms to fill 14 MB here, 10–17 ms with
 * huge pages; `install -n build-essential` 0.12 s less. The kernel
 * falls back to small pages when it has no huge page; peak RSS is unchanged.
 *
 * `--min-semi-space-size=4` (MB): V8's young generation starts at 1 MB, and
 * a `list` then pays two scavenges before it prints (7.5 ms of 75); with
 * 4 MB one, and `zpkg list` is 14 ms faster in the median (node itself 3 ms
 * slower). The code caches are made with these very flags (V8 refuses a cache
 * made under other flags).
 *
 * `--heap-growing-percent=100`: after a full collection V8 lets the heap grow
 * to 2× what it kept before the next, not up to 4×: installing a package of
 * 300,000 files peaked at 750 MB of RSS with 200 MB live, 540 MB with this,
 * in the same time; an update of it 1,214 → 938 MB. The npm package's
 * bin/zpkg.js sets the same flag before it loads anything.
 *
 * `--liftoff-only`: the one WebAssembly module zpkg runs is undici's HTTP
 * parser (llhttp). Left to V8's default, optimizing it occupies a background
 * thread that node waits for before it exits — about 0.25 s of CPU and more
 * of wall time added to every command that made one HTTP request (`refresh`
 * with nothing new: 0.6 s of CPU instead of 0.33 s). The baseline code parses
 * headers; bodies of known length are not scanned byte by byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HUGE_PAGES "glibc.malloc.hugetlb=1"

static int self_path(const char *argv0, char *out) {
  ssize_t n = readlink("/proc/self/exe", out, PATH_MAX - 1);
  if (n > 0) {
    out[n] = 0;
    return 0;
  }
  if (strchr(argv0, '/')) return realpath(argv0, out) ? 0 : -1;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char candidate[PATH_MAX];
  while (*path) {
    size_t len = strcspn(path, ":");
    if (len > 0 && (size_t)snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, path, argv0) < sizeof candidate &&
        access(candidate, X_OK) == 0 && realpath(candidate, out))
      return 0;
    path += len;
    if (*path == ':') path++;
  }
  return -1;
}

static void need(const char *file) {
  if (access(file, R_OK) != 0) {
    fprintf(stderr, "zpkg: the bundle is incomplete: %s: %s\n", file, strerror(errno));
    exit(127);
  }
}

int main(int argc, char **argv) {
  static char bundle[PATH_MAX], loader[PATH_MAX], libdir[PATH_MAX], node[PATH_MAX], app[PATH_MAX];
  if (self_path(argc > 0 ? argv[0] : "zpkg", bundle) != 0) {
    fprintf(stderr, "zpkg: cannot tell where the launcher is (no /proc/self/exe, and argv[0] `%s` not found)\n", argc > 0 ? argv[0] : "");
    return 127;
  }
  char *slash = strrchr(bundle, '/');
  if (!slash) return 127;
  *slash = 0;
  if (snprintf(loader, sizeof loader, "%s/lib/ld-linux-x86-64.so.2", bundle) >= (int)sizeof loader ||
      snprintf(libdir, sizeof libdir, "%s/lib", bundle) >= (int)sizeof libdir ||
      snprintf(node, sizeof node, "%s/node", bundle) >= (int)sizeof node ||
      snprintf(app, sizeof app, "%s/app/zpkg.js", bundle) >= (int)sizeof app) {
    fprintf(stderr, "zpkg: the bundle's path is too long: %s\n", bundle);
    return 127;
  }
  need(loader);
  need(node);
  need(app);

  setenv("ZPKG_BUNDLE", bundle, 1);
  setenv("UV_THREADPOOL_SIZE", getenv("UV_THREADPOOL_SIZE") ? getenv("UV_THREADPOOL_SIZE") : "8", 1);
  const char *tunables = getenv("GLIBC_TUNABLES");
  if (!tunables || !*tunables) {
    setenv("GLIBC_TUNABLES", HUGE_PAGES, 1);
  } else if (!strstr(tunables, "glibc.malloc.hugetlb=")) {
    size_t len = strlen(tunables) + 1 + sizeof HUGE_PAGES;
    char *both = malloc(len);
    if (!both) return 127;
    snprintf(both, len, "%s:%s", tunables, HUGE_PAGES);
    setenv("GLIBC_TUNABLES", both, 1);
  }
  unsetenv("NODE_OPTIONS");
  unsetenv("NODE_PATH");

  char **args = calloc((size_t)argc + 10, sizeof *args);
  if (!args) return 127;
  int i = 0;
  args[i++] = loader;
  args[i++] = "--library-path";
  args[i++] = libdir;
  args[i++] = node;
  args[i++] = "--liftoff-only";
  args[i++] = "--min-semi-space-size=4";
  args[i++] = "--heap-growing-percent=100";
  args[i++] = app;
  for (int a = 1; a < argc; a++) args[i++] = argv[a];
  args[i] = NULL;
  execv(loader, args);
  fprintf(stderr, "zpkg: cannot run %s: %s\n", loader, strerror(errno));
  return 127;
}
