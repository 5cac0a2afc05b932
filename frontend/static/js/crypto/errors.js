// Error types of the browser cryptography (SPEC §7 reason codes name them).
//
// Every error carries the `field` it is about (a path such as
// "ballot.contests[0].sum_proof.challenges[1]", or "" when none applies), so
// the page can tell a voter or an auditor what failed and where.

/** Base class of every error raised by these modules on bad input. */
export class CryptoError extends Error {
  /**
   * @param {string} field The offending field ("" when none applies).
   * @param {string} problem What is wrong with it, in words.
   */
  constructor(field, problem) {
    super(field ? `${field}: ${problem}` : problem);
    this.name = new.target.name;
    /** @type {string} */
    this.field = field;
    /** @type {string} */
    this.problem = problem;
  }
}

/** Wrong keys, types or lengths (SPEC §7 reason `structure`). */
export class StructureError extends CryptoError {}

/** A value not in its one canonical spelling (SPEC §1, reason `encoding`). */
export class EncodingError extends CryptoError {}

/** A typed voting code that cannot be normalised (SPEC §4.1). */
export class VotingCodeError extends CryptoError {
  /** @param {string} problem What is wrong, in words a voter can act on. */
  constructor(problem) {
    super("", problem);
  }
}

/** Choices that the contest rules (min/max selections) do not allow (SPEC §5). */
export class ChoiceError extends CryptoError {}

/** Return `value` if it is an object with exactly `keys`; throw StructureError otherwise. */
export function expectObject(value, field, keys) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StructureError(field, "expected an object");
  }
  const present = Object.keys(value);
  const missing = keys.filter((key) => !present.includes(key)).sort();
  const extra = present.filter((key) => !keys.includes(key)).sort();
  if (missing.length) {
    throw new StructureError(field, `missing key(s): ${missing.join(", ")}`);
  }
  if (extra.length) {
    throw new StructureError(field, `unknown key(s): ${extra.join(", ")}`);
  }
  return value;
}

/** Return `value` if it is an array (of `length` items, when given); throw StructureError otherwise. */
export function expectList(value, field, length = undefined) {
  if (!Array.isArray(value)) {
    throw new StructureError(field, "expected an array");
  }
  if (length !== undefined && value.length !== length) {
    throw new StructureError(field, `expected ${length} items, got ${value.length}`);
  }
  return value;
}

/** Return `value` if it is a safe integer in `[low, high]`; throw StructureError otherwise. */
export function expectInt(value, field, low = 0, high = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value)) {
    throw new StructureError(field, "expected an integer");
  }
  if (value < low || value > high) {
    throw new StructureError(field, `integer ${value} outside [${low}, ${high}]`);
  }
  return value;
}
