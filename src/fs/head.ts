/** The first bytes of a file a build keeps with its digest: enough to tell an ELF object or a script (build/deps). */
export const HEAD = 256;

/** Whether a file's first bytes are an ELF object's (`\x7fELF`). */
export function isElfHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** Whether a file's first bytes open a script (`#!`). */
export function isScriptHead(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x23 && head[1] === 0x21;
}
