/**
 * Backends opened by this process that hold connections (http keep-alive
 * pools, S3 clients). The command line closes them when a command ends, so
 * the process exits as soon as its work is done instead of when idle
 * sockets time out.
 */
const open = new Set<{ close?(): Promise<void> | void }>();

export function track<T extends { close?(): Promise<void> | void }>(backend: T): T {
  if (backend.close) open.add(backend);
  return backend;
}

export async function closeOpenRepositories(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.allSettled(all.map((b) => b.close?.()));
}
