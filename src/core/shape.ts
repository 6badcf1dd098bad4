/**
 * Shape checks of structures zpkg reads from disk or the network, with
 * valibot schemas: a value of the wrong shape is refused with a typed error
 * naming the thing, the path inside it and what was expected — before any
 * code relies on a field's type. The semantic checks (versions, relations,
 * paths) run after, on values whose shape is then known.
 */
import * as v from 'valibot';
import { ZpkgError, type ErrorCode } from './errors.js';

export { v };

/** `where: path.to.field: expected …, received …` for the first problem. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return `${path ? `${path}: ` : ''}${issue.message}`;
}

/** `value` typed by `schema`, or a ZpkgError `code` saying `what` and where it is wrong. */
export function checkShape<S extends v.GenericSchema>(schema: S, value: unknown, code: ErrorCode, what: string, hint?: string): v.InferOutput<S> {
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (r.success) return r.output;
  throw new ZpkgError(code, `${what}: ${describeIssue(r.issues[0])}`, { hint });
}

/** A JSON count: a non-negative safe integer. */
export const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * `schema` applied to the OWN keys of an object only: valibot's object schemas
 * look fields up with `in`, which also sees inherited keys (`constructor`,
 * `toString`…); the value is first copied onto a null-prototype object, so a
 * field is present only when the document itself holds it.
 */
export function own<S extends v.GenericSchema>(schema: S, message?: string) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, message ?? 'expected an object'),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the next schema gives the type
    v.transform((x: Record<string, unknown>): any => Object.assign(Object.create(null) as Record<string, unknown>, x)),
    schema,
  );
}

/** `Object.hasOwn(o, k) ? o[k] : undefined`: a field of a decoded document, never an inherited one. */
export function ownField(o: object, key: string): unknown {
  return Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}
