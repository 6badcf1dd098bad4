/** The first bytes of a file a build keeps with its digest: enough to tell an ELF object or a script (build/deps). */
export const HEAD = 256;
