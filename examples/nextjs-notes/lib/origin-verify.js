// Origin verification: only requests that came through the CDN (CloudFront on AWS, the
// sandbox's edges locally) carry the secret header. The value lives in Secrets Manager; both
// AWSCURRENT and AWSPREVIOUS are accepted so a rotation never locks CloudFront out while the
// distribution is being updated. An unknown value triggers at most one refetch per REFETCH_MS,
// so junk headers cannot hammer Secrets Manager.
import { timingSafeEqual, createHash } from "node:crypto";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { secretsManager } from "./aws.js";

const MAX_AGE_MS = 5 * 60 * 1000;
const REFETCH_MS = 5000;

let keys = null; // { values: Buffer[], at }
let fetching = null;

async function fetchStage(id, stage) {
  try {
    const out = await secretsManager().send(
      new GetSecretValueCommand({ SecretId: id, VersionStage: stage }),
      { abortSignal: AbortSignal.timeout(1500) },
    );
    return out.SecretString ?? null;
  } catch (err) {
    // A secret never rotated has no AWSPREVIOUS: that is not an error.
    if (stage === "AWSPREVIOUS" && err?.name === "ResourceNotFoundException") return null;
    throw err;
  }
}

async function load(id) {
  fetching ??= Promise.all([fetchStage(id, "AWSCURRENT"), fetchStage(id, "AWSPREVIOUS")])
    .then(([current, previous]) => {
      const values = [current, previous].filter(Boolean).map(digest);
      keys = { values, at: Date.now() };
      return keys;
    })
    .finally(() => {
      fetching = null;
    });
  return fetching;
}

// Compare digests, so the comparison is constant-time whatever the presented length.
function digest(value) {
  return createHash("sha256").update(value, "utf8").digest();
}

function matches(presented, set) {
  const p = digest(presented);
  let ok = false;
  for (const v of set.values) ok = timingSafeEqual(p, v) || ok; // no early exit
  return ok;
}

/** True if `presented` is a current or previous value of secret `id`; throws if unreadable. */
export async function accepts(id, presented) {
  if (typeof presented !== "string" || presented === "") return false;
  let set = keys;
  if (!set || Date.now() - set.at > MAX_AGE_MS) {
    try {
      set = await load(id);
    } catch (err) {
      if (!keys) throw err; // nothing cached: the caller fails closed
      // Keep serving with the last known values while Secrets Manager is out; retry later.
      keys = { values: keys.values, at: Date.now() - MAX_AGE_MS + REFETCH_MS };
      set = keys;
    }
  }
  if (matches(presented, set)) return true;
  if (Date.now() - set.at < REFETCH_MS) return false;
  try {
    return matches(presented, await load(id)); // perhaps a rotation this process has not seen
  } catch {
    return false;
  }
}
