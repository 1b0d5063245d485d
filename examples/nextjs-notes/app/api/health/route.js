import { health } from "../../../lib/health.js";

export const dynamic = "force-dynamic";

export async function GET() {
  const report = await health();
  return Response.json(report, {
    status: report.status === "healthy" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}
