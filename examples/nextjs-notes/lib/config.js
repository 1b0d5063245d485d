// The polyregion app contract, read from the environment at request time (never at build
// time: one `next build` serves every region, and the values differ per region).

/** The physical name of a declared table: POLYREGION_TABLE_<NAME>. */
export function tableName(declared) {
  const key = "POLYREGION_TABLE_" + declared.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  const value = process.env[key];
  if (!value) {
    throw new Error(`${key} is not set: run this app through polyregion (or set it by hand)`);
  }
  return value;
}

export function region() {
  return process.env.POLYREGION_REGION || process.env.AWS_REGION || "unknown";
}

/** Secrets Manager id of the origin-verify value; unset means the origin is left open. */
export function originVerifySecret() {
  return process.env.POLYREGION_ORIGIN_VERIFY_SECRET || null;
}

export function originVerifyHeader() {
  return (process.env.POLYREGION_ORIGIN_VERIFY_HEADER || "x-origin-verify").toLowerCase();
}

export const HEALTH_PATH = "/api/health";
