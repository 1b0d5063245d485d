"use client";
// Posts JSON to the route handler (so no CSRF token is needed), then opens the new note.
import { useState } from "react";
import { useRouter } from "next/navigation";

export default function NewNote() {
  const router = useRouter();
  const [text, setText] = useState("");
  const [error, setError] = useState(null);

  async function submit(event) {
    event.preventDefault();
    setError(null);
    const response = await fetch("/api/notes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      setError(body.error || `failed: HTTP ${response.status}`);
      return;
    }
    router.push(`/notes/${encodeURIComponent(body.id)}`);
  }

  return (
    <form onSubmit={submit}>
      <textarea value={text} onChange={(e) => setText(e.target.value)} maxLength={2000} required />
      <button type="submit">Add note</button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}
