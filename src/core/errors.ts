/**
 * Every failure that reaches a person is a ZpkgError: a stable code (never
 * renumbered, scripts match on it), a message that names the thing and the
 * reason, and an optional hint. `report/` is the one place that renders them.
 */
export type ErrorCode =
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
  | 'E_INTERNAL';

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
