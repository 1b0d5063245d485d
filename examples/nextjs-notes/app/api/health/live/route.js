// Liveness only (the process answers), for load balancers; /api/health is the deep check.
import { region } from "../../../../lib/config.js";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "alive", region: region() }, { headers: { "cache-control": "no-store" } });
}
