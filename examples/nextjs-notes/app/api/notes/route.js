import { createNote, InvalidNote, listNotes, parseNote } from "../../../lib/notes.js";

export const dynamic = "force-dynamic";
const NO_STORE = { "cache-control": "no-store" };
const MAX_BODY = 16 * 1024;

export async function GET() {
  return Response.json({ notes: await listNotes() }, { headers: NO_STORE });
}

function problem(status, error) {
  return Response.json({ error }, { status, headers: NO_STORE });
}

export async function POST(request) {
  // JSON only: a cross-site HTML form cannot send application/json without a CORS preflight,
  // which this route never grants, so there is no CSRF through it.
  const type = request.headers.get("content-type") || "";
  if (!type.toLowerCase().startsWith("application/json")) {
    return problem(415, "content-type: send application/json");
  }
  const raw = await request.text();
  if (raw.length > MAX_BODY) return problem(413, `body: at most ${MAX_BODY} bytes`);
  let input;
  try {
    input = JSON.parse(raw);
  } catch {
    return problem(400, "body: not valid JSON");
  }
  let note;
  try {
    note = parseNote(input);
  } catch (err) {
    if (err instanceof InvalidNote) return problem(400, err.message);
    throw err;
  }
  const saved = await createNote(note);
  return Response.json(saved, {
    status: 201,
    headers: { ...NO_STORE, location: `/api/notes/${encodeURIComponent(saved.id)}` },
  });
}
