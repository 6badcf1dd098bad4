/**
 * Every failure that reaches a person is a ZpkgError: a stable code (never
 * renumbered, scripts match on it), a message that names the thing and the
 * reason, and an optional hint. `report/` is the one place that renders them.
 */
export type ErrorCode =
  /** The command line itself is wrong (an unknown flag, a missing argument): exit status 2. Only `cli/` uses it. */
  | 'E_USAGE'
  | 'E_VERSION_INVALID'
  | 'E_RELATION_INVALID'
  | 'E_NAME_INVALID'
  | 'E_MANIFEST_INVALID'
  | 'E_RECIPE_INVALID'
  | 'E_DIGEST_MISMATCH'
  | 'E_BLOB_MISSING'
  | 'E_MANIFEST_MISSING'
  | 'E_REPO_INVALID'
  | 'E_REPO_EXISTS'
  | 'E_REPO_LOCKED'
  | 'E_REPO_MISMATCH'
  | 'E_KEY_INVALID'
  | 'E_KEY_REQUIRED'
  | 'E_SIGNATURE'
  | 'E_UNTRUSTED_KEY'
  | 'E_ROLLBACK'
  | 'E_EXPIRED'
  | 'E_PACKAGE_EXISTS'
  | 'E_PACKAGE_UNKNOWN'
  | 'E_VERSION_UNKNOWN'
  | 'E_UNSATISFIABLE'
  | 'E_FILE_CONFLICT'
  | 'E_PATH_UNSAFE'
  | 'E_DEPENDENTS'
  | 'E_NOT_INSTALLED'
  | 'E_REMOTE_EXISTS'
  | 'E_REMOTE_UNKNOWN'
  | 'E_REMOTE_UNREACHABLE'
  | 'E_IMAGE_LOCKED'
  | 'E_IMAGE_INVALID'
  | 'E_IO'
  | 'E_NO_SPACE'
  | 'E_SERVICE'
  | 'E_HOOK_FAILED'
  | 'E_CONFIG_INVALID'
  | 'E_SOURCE_UNAVAILABLE'
  | 'E_BUILD_FAILED'
  | 'E_ARCHIVE_INVALID'
  | 'E_INTERNAL'
  /** A credential is missing or was refused (a depot token, HTTP 401/403). */
  | 'E_AUTH'
  /** A file or value given as input (a sync file, a duration, a threshold) is malformed. */
  | 'E_INPUT_INVALID'
  /** A generation asked for (rollback) does not exist or was trimmed by gc. */
  | 'E_GENERATION_UNKNOWN'
  /** The image has no remotes to install from. */
  | 'E_NO_REMOTES'
  /** The operation needs privileges this process lacks (chroot(2) without root). */
  | 'E_PRIVILEGE'
  /** A repository URL is malformed or its scheme is not supported for this use. */
  | 'E_URL_INVALID'
  /** A key file exists already: keys are never overwritten. */
  | 'E_KEY_EXISTS'
  /** A release set is not one: its dependencies do not each pin one exact version. */
  | 'E_SET_INVALID'
  /** A file or directory named as input does not exist or is the wrong kind. */
  | 'E_NOT_FOUND'
  /** An rfs flist (`.fl`) is not one zpkg can read or turn into a package: not an rfs v2 SQLite file, a broken tree, rows that contradict each other, an inode type packages cannot hold. */
  | 'E_FLIST_INVALID'
  /** A block an flist names is in none of the stores its routes point to. */
  | 'E_BLOCK_MISSING'
  /**
   * A transaction committed, but a post-hook or a service start failed and
   * `--rollback-on-failure` (or `on-failure: rollback`) rolled the image back
   * to the generation before it: both transactions are in history.
   */
  | 'E_ROLLED_BACK'
  /** A change would remove a protected package (the base, zpkg, glibc…) and `--allow-protected` was not given. */
  | 'E_PROTECTED'
  /**
   * A new version of zpkg itself failed its self-test (`zpkg --version`,
   * opening state.db) after its files landed: the transaction was undone and
   * the running version stays.
   */
  | 'E_SELF_TEST'
  /** An output directory holds files zpkg did not write (`repo site --out`): refused rather than overwritten. */
  | 'E_OUTPUT_CONFLICT'
  /** A repository is in a format this zpkg does not read: an older one (`zpkg repo upgrade` converts it) or a newer one. */
  | 'E_REPO_FORMAT'
  /** An `--offline` transaction needs what the image's cache lacks (a catalog, a manifest, a blob): nothing was changed; run the command with `--download-only` first. */
  | 'E_OFFLINE_MISSING'
  /**
   * What the request names exists only in versions built for another
   * architecture than the image's (its `arch:`, its base's, or the machine's).
   */
  | 'E_ARCH_MISMATCH'
  /**
   * What the request names exists only in versions the image keeps out: an
   * `exclude:` of etc/zpkg/zpkg.yaml, or a hold's range (`hold "NAME (< 2.0)"`);
   * also a hold whose range leaves out the installed version.
   */
  | 'E_EXCLUDED'
  /** An interrupted transaction could not be finished or undone (the filesystem refused a step): its journal is kept and `zpkg recover` resumes it. */
  | 'E_RECOVERY_FAILED'
  /**
   * The image's state.db is damaged (empty where a backup shows there was a
   * state, truncated, not a database, tables missing): changing commands
   * refuse; `list` and `verify` read the backup written at the last commit.
   */
  | 'E_STATE_CORRUPT'
  /** The image or its state directory cannot be written (a read-only mount, no permission): changing commands refuse; reading ones still work. */
  | 'E_IMAGE_READONLY';

export interface ErrorOptions {
  hint?: string;
  /** Extra machine-readable facts, shown under `--json`. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ZpkgError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZpkgError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export function isZpkgError(err: unknown, code?: ErrorCode): err is ZpkgError {
  return err instanceof ZpkgError && (code === undefined || err.code === code);
}
