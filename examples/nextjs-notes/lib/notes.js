// Notes live in the global table `notes` (replicated to every region, last writer wins);
// each write also leaves an entry in the regional table `audit`, which never leaves its region.
import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { db } from "./aws.js";
import { region, tableName } from "./config.js";

const ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_TEXT = 2000;

export class InvalidNote extends Error {}

/** Validate a client's note; returns {id, text} or throws InvalidNote with a message to show. */
export function parseNote(input) {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new InvalidNote("body: expected a JSON object like {\"text\": \"...\"}");
  }
  const id = input.id === undefined ? randomUUID() : input.id;
  if (typeof id !== "string" || !ID.test(id)) {
    throw new InvalidNote("id: 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
  }
  const text = input.text;
  if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT) {
    throw new InvalidNote(`text: a non-empty string of at most ${MAX_TEXT} characters`);
  }
  return { id, text };
}

export async function createNote({ id, text }) {
  const note = { id, text, region: region(), created_at: new Date().toISOString() };
  await db().send(new PutCommand({ TableName: tableName("notes"), Item: note }));
  await db().send(
    new PutCommand({
      TableName: tableName("audit"),
      Item: { id: `${note.created_at}#${id}`, note_id: id, region: note.region },
    }),
  );
  return note;
}

export async function getNote(id) {
  if (typeof id !== "string" || !ID.test(id)) return null;
  const out = await db().send(new GetCommand({ TableName: tableName("notes"), Key: { id } }));
  return out.Item ?? null;
}

/** The newest notes first. A Scan is fine for an example; a real app would page a GSI. */
export async function listNotes(limit = 50) {
  const out = await db().send(new ScanCommand({ TableName: tableName("notes"), Limit: 500 }));
  const items = out.Items ?? [];
  items.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  return items.slice(0, limit);
}
