/**
 * The operators of a versioned relation (`name (op version)`) and their codes:
 * the small integers a catalog table stores (core/catalog-table.ts) and the
 * solver compares with (core/relation.ts `satisfiesOp`). Index = code.
 */
export type Operator = '<<' | '<=' | '=' | '>=' | '>>';

/** No constraint. */
export const OP_NONE = 0;
export const OP_LT = 1;
export const OP_LE = 2;
export const OP_EQ = 3;
export const OP_GE = 4;
export const OP_GT = 5;

/** Operator codes: index = code. */
export const OPERATORS: readonly (Operator | undefined)[] = [undefined, '<<', '<=', '=', '>=', '>>'];

export function operatorCode(op: Operator | undefined): number {
  switch (op) {
    case undefined:
      return OP_NONE;
    case '<<':
      return OP_LT;
    case '<=':
      return OP_LE;
    case '=':
      return OP_EQ;
    case '>=':
      return OP_GE;
    case '>>':
      return OP_GT;
  }
}
