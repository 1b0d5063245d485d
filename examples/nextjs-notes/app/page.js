import { listNotes } from "../lib/notes.js";
import NewNote from "./new-note.js";

// Rendered on every request, in the region that serves it: nothing here may be cached at build.
export const dynamic = "force-dynamic";

export default async function Home() {
  const notes = await listNotes();
  return (
    <>
      <h1>Notes</h1>
      <NewNote />
      <ul>
        {notes.map((n) => (
          <li key={n.id}>
            {/* React escapes text: a note's text can never become markup. */}
            <a href={`/notes/${encodeURIComponent(n.id)}`}>{n.text.slice(0, 80)}</a>{" "}
            <small>{`written in ${n.region}`}</small>
          </li>
        ))}
      </ul>
      {notes.length === 0 && <p>No notes yet.</p>}
    </>
  );
}
