// Runs before every route (Next 16 "proxy", formerly middleware; Node.js runtime, so the AWS
// SDK works here). Two jobs: refuse requests that did not come through the CDN, and say on
// every response which region served it (what polyregion's drills and tests read).
import { NextResponse } from "next/server";
import { accepts } from "./lib/origin-verify.js";
import { HEALTH_PATH, originVerifyHeader, originVerifySecret, region } from "./lib/config.js";

const REGION_HEADER = "x-polyregion-region";

function refuse(status) {
  // A bare refusal: no region header, nothing about the app.
  return new NextResponse(status === 403 ? "Forbidden" : "Service Unavailable", {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

export async function proxy(request) {
  const path = request.nextUrl.pathname;
  const secret = originVerifySecret();
  // Health stays open: Route 53's checkers cannot send the header.
  const open = path === HEALTH_PATH || path.startsWith(HEALTH_PATH + "/");
  if (secret && !open) {
    let allowed;
    try {
      allowed = await accepts(secret, request.headers.get(originVerifyHeader()));
    } catch (err) {
      console.warn(`origin-verify secret unavailable: ${err?.name || "error"}`);
      return refuse(503); // fail closed
    }
    if (!allowed) return refuse(403);
  }
  const response = NextResponse.next();
  response.headers.set(REGION_HEADER, region());
  return response;
}

export const config = {
  // Everything but the build's immutable static files (they carry no region-specific data).
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
