import { notFound } from "next/navigation";
import { getNote } from "../../../lib/notes.js";

export const dynamic = "force-dynamic";

export default async function NotePage({ params }) {
  const { id } = await params;
  const note = await getNote(id);
  if (!note) notFound();
  return (
    <article>
      <p style={{ whiteSpace: "pre-wrap" }}>{note.text}</p>
      <p>
        <small>
          written in {note.region} at {note.created_at}
        </small>
      </p>
    </article>
  );
}
