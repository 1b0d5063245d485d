import { getNote } from "../../../../lib/notes.js";

export const dynamic = "force-dynamic";

export async function GET(_request, { params }) {
  const { id } = await params;
  const note = await getNote(id);
  if (!note) {
    return Response.json({ error: `note ${id} not found` }, { status: 404, headers: { "cache-control": "no-store" } });
  }
  return Response.json(note, { headers: { "cache-control": "no-store" } });
}
