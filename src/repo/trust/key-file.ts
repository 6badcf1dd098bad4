/**
 * Key files. A private key is PKCS#8 PEM in a file only its owner can read
 * (0600; a more open file is refused, as ssh does); its public key sits beside
 * it as `FILE.pub` holding `ed25519:<base64>`. Private keys never go into a
 * repository: publishers name them with --key or ZPKG_REPO_KEY.
 */
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { ZpkgError } from '../../core/errors.js';
import { formatPublicKey, generateSigningKey, isKeyId, keyIdOfEntry, parsePrivateKey, parsePublicKey, privateKeyPem, type KeyId, type SigningKey } from './keys.js';

export interface KeygenResult {
  privateKey: string;
  publicKeyFile: string;
  publicKey: string;
  keyid: KeyId;
}

function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new ZpkgError('E_KEY_EXISTS', `${path} exists already: a key is never overwritten`, { hint: 'choose another file name or remove the old key yourself' });
    throw new ZpkgError('E_IO', `cannot write ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Writes a new key pair: FILE (private, 0600) and FILE.pub. Neither may exist. */
export function writeKeyPair(file: string): KeygenResult {
  const pub = `${file}.pub`;
  if (existsSync(pub)) throw new ZpkgError('E_KEY_EXISTS', `${pub} exists already: a key is never overwritten`, { hint: 'choose another file name or remove the old key yourself' });
  const key = generateSigningKey();
  writeNew(file, privateKeyPem(key), 0o600);
  try {
    writeNew(pub, `${formatPublicKey(key.entry)}\n`, 0o644);
  } catch (err) {
    unlinkSync(file);
    throw err;
  }
  return { privateKey: file, publicKeyFile: pub, publicKey: formatPublicKey(key.entry), keyid: key.id };
}

/** Reads a private key file, refusing one that others can read. */
export function readSigningKey(path: string): SigningKey {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new ZpkgError('E_KEY_INVALID', `key file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw new ZpkgError('E_KEY_INVALID', `key file ${path} is not a file`);
  if ((st.mode & 0o077) !== 0) {
    throw new ZpkgError('E_KEY_INVALID', `private key ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)})`, { hint: `\`chmod 600 ${path}\`` });
  }
  return parsePrivateKey(readFileSync(path, 'utf8'), `key file ${path}`);
}

/**
 * A key an image is told to trust: a 64-hex-digit fingerprint (optionally
 * `sha256:`), a printed public key, or a file holding one. Returns its id.
 */
export function resolveTrustedKey(arg: string): KeyId {
  const id = arg.startsWith('sha256:') ? arg.slice(7) : arg;
  if (isKeyId(id.toLowerCase())) return id.toLowerCase();
  if (arg.startsWith('ed25519:')) return keyIdOfEntry(parsePublicKey(arg, `key \`${arg}\``));
  if (existsSync(arg)) {
    if (!statSync(arg).isFile()) throw new ZpkgError('E_KEY_INVALID', `key file ${arg} is not a file`);
    return keyIdOfEntry(parsePublicKey(readFileSync(arg, 'utf8'), `key file ${arg}`));
  }
  throw new ZpkgError('E_KEY_INVALID', `\`${arg}\` is neither a key file, a public key nor a fingerprint`, {
    hint: 'give the `.pub` file `zpkg repo keygen` wrote, its `ed25519:…` line, or the 64-hex-digit key id',
  });
}
