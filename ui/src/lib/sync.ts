// What the window says about team sync, and what a person may choose in a conflict: pure
// functions of the status and the conflict, tested beside the screens that use them.
import fixed from './bindings/choices.json';
import type { ConflictView } from './bindings/ConflictView';
import model from './bindings/schema.json';
import type { SyncStatus } from './bindings/SyncStatus';

export type Tone = 'ok' | 'busy' | 'warn' | 'bad' | 'quiet';

/** One thing the status line says, and where it leads. */
export interface StatusPart {
	text: string;
	tone: Tone;
	/** Where the person goes to act on it. */
	href: string;
	/** Said on hover, and on the Team sync screen. */
	detail: string;
	testid: string;
}

function plural(n: number, one: string, many: string): string {
	return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** A moment as the screens write it, to the minute: "2026-12-07 10:42". */
export function minute(at: string): string {
	return at.slice(0, 16).replace('T', ' ');
}

/** "just now", "4 min ago", "2 h ago", "3 days ago". */
export function ago(at: string | null, now: Date): string {
	if (!at) return 'never';
	const seconds = Math.max(0, (now.getTime() - new Date(at).getTime()) / 1000);
	if (Number.isNaN(seconds)) return 'at an unknown time';
	if (seconds < 45) return 'just now';
	if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
	if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
	return plural(Math.round(seconds / 86400), 'day ago', 'days ago');
}

/** How much each state needs the person, most first: a sync that cannot run at all, then what
 * only they can settle (conflicts, refused changes), then what waits on something else (a
 * sign-in, the network), then work in progress, then all is well. */
const URGENCY: Record<Tone, number> = { bad: 0, warn: 3, busy: 4, ok: 5, quiet: 6 };

/**
 * What the sync says, worst first: the first part is the one state the status line shows (never
 * "Synced" in green beside a conflict in red); the others, each a link to what to do, follow on
 * the Team sync screen, and an all-is-well part among them is said quietly. Always at least one
 * part, so the line is never empty.
 */
export function statusParts(status: SyncStatus | null, now: Date): StatusPart[] {
	return ranked(status, now)
		.sort((a, b) => a.urgency - b.urgency)
		.map(({ part }, i) => (i > 0 && part.tone === 'ok' ? { ...part, tone: 'quiet' } : part));
}

function ranked(status: SyncStatus | null, now: Date): Array<{ part: StatusPart; urgency: number }> {
	return parts(status, now).map((part) => ({
		part,
		urgency: part.testid === 'sync-conflicts' ? 1 : part.testid === 'sync-rejected' ? 2 : URGENCY[part.tone]
	}));
}

function parts(status: SyncStatus | null, now: Date): StatusPart[] {
	const team = '/sync';
	if (!status) return [{ text: 'Sync status unknown', tone: 'quiet', href: team, detail: 'The sync has not reported yet.', testid: 'sync-state' }];
	const waiting = status.pending > 0 ? ` · ${plural(status.pending, 'change waiting', 'changes waiting')}` : '';
	const parts: StatusPart[] = [];
	const main = (text: string, tone: Tone, href: string, detail: string) => parts.push({ text, tone, href, detail, testid: 'sync-state' });
	const retry = status.retry_in ? ` Trying again in ${status.retry_in} s.` : '';
	switch (status.phase) {
		case 'local':
			main('Only on this computer', 'quiet', '/settings', 'Publish this program to your team’s server, or join one, in Settings.');
			break;
		case 'sign_in_needed':
			main(`Sign in to sync${waiting}`, 'warn', '/settings', status.message ?? 'Sign in to reach the server.');
			break;
		case 'server_not_trusted':
			main(`Confirm the server to sync${waiting}`, 'warn', team, status.message ?? `This program syncs with ${status.server ?? 'a server'} that your sign-in has not been sent to. Confirm it on the Team sync screen if it is your team’s.`);
			break;
		case 'syncing':
			main(`Syncing…${waiting}`, 'busy', team, `Exchanging changes with ${status.server ?? 'the server'}.`);
			break;
		case 'synced':
			main(
				status.pending > 0 ? plural(status.pending, 'change waiting', 'changes waiting') : `Synced ${ago(status.synced_at, now)}`,
				status.pending > 0 ? 'busy' : 'ok',
				team,
				`In step with ${status.server ?? 'the server'}; last synced ${ago(status.synced_at, now)}.`
			);
			break;
		case 'offline':
			main(`Offline${waiting}`, 'warn', team, `${status.server ?? 'The server'} cannot be reached. Your changes are kept here and sent once it can.${retry}`);
			break;
		case 'upgrade_required':
			main('Update Roadbook to sync', 'bad', team, status.message ?? 'The server needs a newer Roadbook. Your changes are kept here.');
			break;
		case 'not_permitted':
			main(`Not permitted to sync${waiting}`, 'bad', team, status.message ?? 'The server refused your sign-in for this program. Ask its lead for a role.');
			break;
		case 'failed':
			main(`Sync failed${waiting}`, 'bad', team, `${status.message ?? 'The sync stopped.'}${retry}`);
			break;
	}
	if (status.conflicts > 0)
		parts.push({
			text: plural(status.conflicts, 'conflict', 'conflicts'),
			tone: 'bad',
			href: `${team}#conflicts`,
			detail: 'Two people changed the same thing: choose what stands.',
			testid: 'sync-conflicts'
		});
	if (status.rejected > 0)
		parts.push({
			text: plural(status.rejected, 'rejected change', 'rejected changes'),
			tone: 'bad',
			href: `${team}#rejected`,
			detail: 'The server refused these changes: edit and retry, or discard them.',
			testid: 'sync-rejected'
		});
	return parts;
}

/** A field's name as a person reads it: `status_id` is "Status", `linked_risk_ids` "Linked risks". */
export function fieldName(field: string, kind?: string): string {
	if (field === 'deleted') return 'Deleted';
	// A decision's status, outcome, rationale, decided by and on, settled together.
	if (field === 'decided') return 'What was decided';
	// The label the model's field table gives it (a decision's `risk_ids` are "Linked risks").
	const label = kind ? (model as Record<string, Array<{ key: string; label: string }> | undefined>)[kind]?.find((f) => f.key === field)?.label : undefined;
	if (label) return label;
	const words = field.replace(/_ids$/, 's').replace(/_id$/, '').replace(/_/g, ' ');
	return capitalised(words);
}

/** What a person calls a kind of item ("Work item"), the model's noun for it. */
export function kindName(kind: string): string {
	return capitalised((fixed.kind as Record<string, string | undefined>)[kind] ?? kind.replace(/_/g, ' '));
}

function capitalised(words: string): string {
	return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What a conflict lets a person do. */
export interface Choices {
	mine: boolean;
	theirs: boolean;
	/** A merged value the person writes, and what the editor starts from; null when a merge
	 * makes no sense (a status, an owner, a delete against an edit). */
	merged: null | { kind: 'text'; start: string } | { kind: 'list'; start: unknown[] } | { kind: 'group'; start: Record<string, unknown> };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Two texts as one to start a merge from: the same once, else both, theirs first. */
function bothTexts(theirs: string | null, mine: string | null): string {
	const a = theirs ?? '';
	const b = mine ?? '';
	return a === b ? a : `${a}\n${b}`.trim();
}

export function choices(conflict: ConflictView): Choices {
	const { mine, theirs } = conflict;
	if (conflict.field === 'deleted') return { mine: true, theirs: true, merged: null };
	if (conflict.fields.length > 1) {
		// Fields that belong together, written as one: the kept side's choices (status, dates,
		// who), both sides' texts where they differ.
		const t = (theirs.value ?? {}) as Record<string, unknown>;
		const m = (mine.value ?? {}) as Record<string, unknown>;
		const start: Record<string, unknown> = {};
		for (const f of conflict.fields) {
			const a = t[f] ?? null;
			const b = m[f] ?? null;
			const text = (typeof a === 'string' || a === null) && (typeof b === 'string' || b === null);
			// Texts are joined; a choice (a status) or a day is one side's, never two joined (nor
			// an empty text where both have none).
			const joinable = text && !f.endsWith('_id') && !f.endsWith('_on') && !DAY.test(String(a ?? '')) && !DAY.test(String(b ?? ''));
			start[f] = joinable ? bothTexts(a as string | null, b as string | null) : (a ?? b);
		}
		return { mine: true, theirs: true, merged: { kind: 'group', start } };
	}
	if (Array.isArray(mine.value) || Array.isArray(theirs.value)) {
		// Both people's entries, each once, theirs first.
		const union: unknown[] = [];
		for (const v of [...((theirs.value as unknown[]) ?? []), ...((mine.value as unknown[]) ?? [])])
			if (!union.some((u) => JSON.stringify(u) === JSON.stringify(v))) union.push(v);
		return { mine: true, theirs: true, merged: { kind: 'list', start: union } };
	}
	const reference = conflict.field.endsWith('_id');
	const texts = (typeof mine.value === 'string' || mine.value === null) && (typeof theirs.value === 'string' || theirs.value === null);
	if (texts && !reference) {
		return { mine: true, theirs: true, merged: { kind: 'text', start: bothTexts(theirs.value as string | null, mine.value as string | null) } };
	}
	return { mine: true, theirs: true, merged: null };
}

/** The answer the Rust side takes for a choice. */
export function answer(choice: 'mine' | 'theirs' | { merged: unknown }): { keep: 'mine' } | { keep: 'theirs' } | { keep: 'merged'; value: unknown } {
	if (choice === 'mine') return { keep: 'mine' };
	if (choice === 'theirs') return { keep: 'theirs' };
	return { keep: 'merged', value: choice.merged };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** "a" or "an" before `noun` (a role, a kind of item). */
export function article(noun: string): string {
	return /^[aeiou]/.test(noun) ? 'an' : 'a';
}

/**
 * A server's reason in the program's words: the field named as the editor names it, and items
 * by their names (or said to be gone) instead of ids.
 */
export function readableReason(reason: string, names: Record<string, string>): string {
	let text = reason.replace(/^([a-z_]+)\.([a-z_]+): /, (_, kind: string, field: string) => `${fieldName(field, kind)}: `);
	text = text.replace(new RegExp(`\\b([a-z_]+) (${UUID.source})(, which is not in this program)?`, 'g'), (_, kind: string, id: string, missing?: string) => {
		const noun = kind.replace(/_/g, ' ');
		if (names[id]) return `${noun} ‘${names[id]}’${missing ?? ''}`;
		return missing ? `${article(noun)} ${noun} that is no longer in this program` : `${article(noun)} ${noun} no longer here`;
	});
	return text.replace(new RegExp(UUID.source, 'g'), (id) => (names[id] ? `‘${names[id]}’` : 'an item no longer here'));
}

/** What a refused change did, as a heading: "New action", "Edit of decision". */
export function changeHeading(change: string, kind: string): string {
	const noun = kind.replace(/_/g, ' ');
	switch (change) {
		case 'created':
			return `New ${noun}`;
		case 'edited':
			return `Edit of ${article(noun)} ${noun}`;
		case 'deleted':
			return `Delete of ${article(noun)} ${noun}`;
		default:
			return `Answer to a conflict on ${article(noun)} ${noun}`;
	}
}
