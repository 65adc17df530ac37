// Logic the screens share, kept free of Svelte and IPC so it can be tested on its own.
import type { Decision } from './bindings/Decision';
import type { Handbook } from './bindings/Handbook';
import type { HistoryEntry } from './bindings/HistoryEntry';
import type { Kind } from './bindings/Kind';
import type { Id } from './bindings/Id';
import type { Level } from './bindings/Level';
import type { Risk } from './bindings/Risk';
import type { Status } from './bindings/Status';
import { fieldName } from './sync';

/** A UUID v7 (time-ordered), the id every item gets, as the Rust side makes them. */
export function uuidv7(now: number = Date.now(), random: (n: number) => Uint8Array = randomBytes): string {
	const bytes = random(16);
	let ms = now;
	for (let i = 5; i >= 0; i--) {
		bytes[i] = ms % 256;
		ms = Math.floor(ms / 256);
	}
	bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
	bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
	const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function randomBytes(n: number): Uint8Array {
	const bytes = new Uint8Array(n);
	crypto.getRandomValues(bytes);
	return bytes;
}

/** A stored value as the text an input holds: text as it is, nothing as empty, else its JSON. */
export function asText(value: unknown): string {
	return typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
}

/** What a person calls each item, by id: its title, name, area, statement or text. */
export function labels(h: Handbook): Record<string, string> {
	const out: Record<string, string> = { [h.program.id]: h.program.name };
	for (const value of Object.values(h as unknown as Record<string, unknown>)) {
		if (!Array.isArray(value)) continue;
		for (const x of value as Array<Record<string, unknown>>) out[String(x.id)] = labelOf(x) ?? String(x.id);
	}
	return out;
}

/** What a person calls one item: the field each kind is known by, as the model's `label()` has it. */
export function labelOf(x: Record<string, unknown>): string | undefined {
	const label = x.title ?? x.name ?? x.area ?? x.statement ?? x.text ?? x.dependent;
	return label === undefined || label === null ? undefined : String(label);
}

export function statusOf(h: Handbook, id: Id | null | undefined): Status | undefined {
	return h.statuses.find((s) => s.id === id);
}

export function isOpen(h: Handbook, status: Id): boolean {
	return statusOf(h, status)?.open ?? true;
}

export function ownerName(h: Handbook, id: Id | null | undefined): string {
	const owner = h.owners.find((o) => o.id === id);
	return owner ? owner.short_name || owner.name : '';
}

export function ownerNames(h: Handbook, ids: Id[]): string {
	return ids.map((id) => ownerName(h, id)).filter(Boolean).join(', ');
}

export const LEVELS: Level[] = ['low', 'medium', 'high'];

// The rules below are the model's (crates/roadbook-model/src/glance.rs), written again here so a
// screen redraws without a round trip; rules.test.ts checks them against the cases the model
// writes (bindings/rule-cases.json).

/** Open risks counted by severity (rows: high, medium, low) and likelihood (low, medium, high). */
export function heatMap(h: Handbook): number[][] {
	const grid = [
		[0, 0, 0],
		[0, 0, 0],
		[0, 0, 0]
	];
	for (const risk of h.risks.filter((r) => isOpen(h, r.status_id))) {
		const row = 2 - LEVELS.indexOf(risk.severity);
		const col = LEVELS.indexOf(risk.likelihood);
		const cells = grid[row];
		if (cells && col >= 0) cells[col] = (cells[col] ?? 0) + 1;
	}
	return grid;
}

/** Open risks, most serious first (severity, then likelihood); the register order breaks ties. */
export function topRisks(h: Handbook, limit: number): Risk[] {
	const rank = (l: Level) => LEVELS.indexOf(l);
	return h.risks
		.filter((r) => isOpen(h, r.status_id))
		.sort((a, b) => rank(b.severity) - rank(a.severity) || rank(b.likelihood) - rank(a.likelihood))
		.slice(0, limit);
}

/** The decisions still needed: open and not superseded, in register order. */
export function decisionsNeeded(h: Handbook): Decision[] {
	return h.decisions.filter((d) => isOpen(h, d.status_id) && !d.superseded_by);
}

/** The same name as the model compares names: trimmed, case folded (upper, then lower). */
export function sameName(a: string, b: string): boolean {
	return a.trim().toUpperCase().toLowerCase() === b.trim().toUpperCase().toLowerCase();
}

/**
 * The status a new item of `kind` starts in: a decision "Needs decision" when the vocabulary
 * has it, anything else (and a decision without it) the first open status; null when none is open.
 */
export function newItemStatus(h: Handbook, kind: Kind): Id | null {
	const named = kind === 'decision' ? h.statuses.find((s) => sameName(s.name, 'Needs decision')) : undefined;
	return (named ?? h.statuses.find((s) => s.open))?.id ?? null;
}

export interface ListQuery {
	search: string;
	status: Id | '';
	sort: string;
	descending: boolean;
	/** Only items whose field holds this value (a heat-map cell: severity and likelihood). */
	where?: Record<string, string>;
	/** Only items this owner owns, is named in or is needed from. */
	owner?: Id | '';
	/** Only items whose status is open (or that have none). */
	openOnly?: boolean;
}

/** The owners an item names, whatever its kind calls them. */
export function ownersOf(item: Record<string, unknown>): Id[] {
	const out: Id[] = [];
	if (typeof item.owner_id === 'string') out.push(item.owner_id);
	for (const key of ['owner_ids', 'needed_from'])
		if (Array.isArray(item[key])) out.push(...(item[key] as Id[]));
	return out;
}

/**
 * Filters by status and a search over every text field, then sorts by a field. Works on plain
 * objects so every register uses it. `text` gives an item's search text already in lower case
 * (`searchText`), so a keystroke does not lower-case thousands of texts again.
 */
export function query<T extends { status_id?: Id }>(items: T[], q: ListQuery, text: (item: T) => string, open: (status: Id) => boolean = () => true): T[] {
	const needle = q.search.trim().toLowerCase();
	const where = Object.entries(q.where ?? {});
	const out = items.filter((item) => {
		const fields = item as unknown as Record<string, unknown>;
		return (
			(q.status === '' || item.status_id === q.status) &&
			(!q.openOnly || item.status_id === undefined || open(item.status_id)) &&
			(!q.owner || ownersOf(fields).includes(q.owner)) &&
			where.every(([k, v]) => fields[k] === v) &&
			(needle === '' || text(item).includes(needle))
		);
	});
	if (q.sort) {
		const key = q.sort as keyof T;
		out.sort((a, b) => {
			const x = String(a[key] ?? '');
			const y = String(b[key] ?? '');
			// Items without a value come last either way: an undated item is not the most urgent.
			if (x === '' || y === '') return (x === '' ? 1 : 0) - (y === '' ? 1 : 0);
			return q.descending ? y.localeCompare(x) : x.localeCompare(y);
		});
	}
	return out;
}

/** The rows of a long list to render, with the space above and below them. */
export function windowOf(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 8) {
	const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
	const first = Math.min(last, Math.max(0, Math.floor(scrollTop / rowHeight) - overscan));
	return { first, last, before: first * rowHeight, after: (count - last) * rowHeight };
}

/**
 * The canvas of a page `width`×`height` CSS pixels on a screen with `ratio` device pixels per
 * CSS pixel: drawn at the screen's density so text is sharp on HiDPI screens, shown at the
 * intended width (the height follows the canvas's aspect ratio).
 */
export function canvasSize(width: number, height: number, ratio: number) {
	const density = Number.isFinite(ratio) && ratio > 0 ? ratio : 1;
	return {
		pixelWidth: Math.floor(width * density),
		pixelHeight: Math.floor(height * density),
		cssWidth: `${Math.floor(width)}px`,
		density
	};
}

/** The handbook list that holds each kind of item. */
export const listOfKind = {
	status: 'statuses',
	owner: 'owners',
	workstream: 'workstreams',
	decision: 'decisions',
	risk: 'risks',
	dependency: 'dependencies',
	phase: 'phases',
	work_item: 'work_items',
	exit_criterion: 'exit_criteria',
	milestone: 'milestones',
	readiness_dimension: 'readiness_dimensions',
	readiness_check: 'readiness_checks',
	review: 'reviews',
	action: 'actions'
} as const satisfies Record<Exclude<Kind, 'program'>, keyof Handbook>;

/**
 * The items a lead sees as one list around `item`: its kind's list, narrowed to its phase for
 * work items and exit criteria and to its view for phases (the Plan screen shows them so).
 */
export function siblings(h: Handbook, kind: Exclude<Kind, 'program'>, item: Record<string, unknown>): Id[] {
	const all = h[listOfKind[kind]] as unknown as Array<Record<string, unknown>>;
	const group = kind === 'work_item' || kind === 'exit_criterion' ? 'phase_id' : kind === 'phase' ? 'view' : null;
	return all.filter((x) => group === null || x[group] === item[group]).map((x) => x.id as Id);
}

/**
 * Moving `id` one place up (-1) or down (+1) among `ids`: the item to put it before (null for
 * the end of its list), or undefined when it is already first or last.
 */
export function moveTarget(ids: Id[], id: Id, direction: -1 | 1): Id | null | undefined {
	const i = ids.indexOf(id);
	if (i < 0) return undefined;
	if (direction === -1) return i === 0 ? undefined : ids[i - 1];
	return i >= ids.length - 1 ? undefined : (ids[i + 2] ?? null);
}

/** The field a move changes (`roadbook_store::POSITION`). */
export const POSITION = 'position';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WORD_VALUE = /^[a-z]+(_[a-z]+)+$/;

/**
 * A stored value as a person reads it: an item's name for its id ("a deleted item" for one that
 * is gone), words for a stored word ("not_ready" reads "not ready"), lists joined, nothing as —.
 */
export function readable(value: unknown, names: Record<string, string>): string {
	if (value === null || value === undefined || value === '') return '—';
	if (Array.isArray(value)) return value.length === 0 ? '—' : value.map((v) => readable(v, names)).join(', ');
	if (typeof value === 'string') {
		if (names[value] !== undefined) return names[value];
		if (UUID.test(value)) return 'a deleted item';
		if (WORD_VALUE.test(value)) return value.replace(/_/g, ' ');
		return value;
	}
	if (typeof value === 'boolean') return value ? 'yes' : 'no';
	if (typeof value === 'object') {
		// A scope and the like: its words, never its ids.
		return Object.values(value as Record<string, unknown>)
			.map((v) => readable(v, names))
			.filter((v) => v !== '—')
			.join(' ');
	}
	return String(value);
}

/** Whether a history row changed nothing a person can see (an empty value set to empty). */
export function changesNothing(entry: { field: string; old_value: unknown; new_value: unknown }): boolean {
	const empty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
	if (entry.old_value === null && entry.field !== POSITION && empty(entry.new_value)) return true;
	return (empty(entry.old_value) && empty(entry.new_value)) || sameValue(entry.old_value ?? null, entry.new_value ?? null);
}

/**
 * A history row in the lead's words, as table cells and as one line: the field by its label,
 * values through `show`, a list as the entries added and removed. A move changes the item's
 * position, a number that means nothing to a person, so it reads "moved in its list" instead.
 */
export function changeOf(
	entry: { field: string; old_value: unknown; new_value: unknown; item_kind?: string },
	show: (value: unknown) => string
): { field: string; was: string; now: string; line: string } {
	if (entry.field === POSITION) return { field: 'Order', was: '—', now: 'moved in its list', line: 'moved in its list' };
	const field = fieldName(entry.field, entry.item_kind);
	const [before, after] = [entry.old_value, entry.new_value];
	if (Array.isArray(before) || Array.isArray(after)) {
		const b = Array.isArray(before) ? before : [];
		const a = Array.isArray(after) ? after : [];
		const removed = b.filter((x) => !a.some((y) => sameValue(x, y)));
		const added = a.filter((x) => !b.some((y) => sameValue(x, y)));
		const was = removed.length ? `removed ${removed.map(show).join(', ')}` : '—';
		const now = added.length ? `added ${added.map(show).join(', ')}` : removed.length ? '—' : 'reordered';
		const parts = [added.length ? now : '', removed.length ? was : ''].filter(Boolean);
		return { field, was, now, line: `${field}: ${parts.length ? parts.join('; ') : 'reordered'}` };
	}
	const [was, now] = [show(before), show(after)];
	return { field, was, now, line: `${field}: ${was} → ${now}` };
}

/** Deep equality of two JSON values (key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
	const ka = Object.keys(a);
	const kb = Object.keys(b);
	const ob = b as Record<string, unknown>;
	const oa = a as Record<string, unknown>;
	return ka.length === kb.length && ka.every((k) => k in ob && sameValue(oa[k], ob[k]));
}

/** The fields of an item that `after` changes from `before` (never its id): an edit sends these only. */
export function changedFields(before: object, after: object): string[] {
	const b = before as Record<string, unknown>;
	const a = after as Record<string, unknown>;
	const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
	keys.delete('id');
	return [...keys].filter((k) => k in a && !sameValue(b[k] ?? null, a[k] ?? null));
}

/** The item with `id` in the handbook, of any kind (the program record among them). */
export function findItem(h: Handbook, id: string): Record<string, unknown> | undefined {
	if (h.program.id === id) return h.program as unknown as Record<string, unknown>;
	for (const value of Object.values(h as unknown as Record<string, unknown>)) {
		if (!Array.isArray(value)) continue;
		const found = (value as Array<Record<string, unknown>>).find((x) => x.id === id);
		if (found) return found;
	}
	return undefined;
}

/** Fields whose revision moved since the person opened an item: someone changed them. */
export function changedSince(seen: Record<string, number>, now: Record<string, number>): string[] {
	return Object.keys(now).filter((f) => (now[f] ?? 0) !== (seen[f] ?? 0));
}

/** Who changed which of an open item's fields since the editor saw them, newest first: one
 * line per person, with when they last did. Fields no history entry explains yet are left out
 * (the caller says them without a name). */
export function changedBy(
	history: HistoryEntry[],
	changed: string[],
	seen: Record<string, number>
): Array<{ author: string; at: string; fields: string[] }> {
	const byAuthor = new Map<string, { author: string; at: string; fields: string[] }>();
	for (const e of history) {
		if (!changed.includes(e.field) || e.revision <= (seen[e.field] ?? 0)) continue;
		const made = e.made_at ?? e.changed_at;
		const line = byAuthor.get(e.author) ?? { author: e.author, at: made, fields: [] };
		if (!line.fields.includes(e.field)) line.fields.push(e.field);
		if (made > line.at) line.at = made;
		byAuthor.set(e.author, line);
	}
	return [...byAuthor.values()].sort((a, b) => b.at.localeCompare(a.at));
}

/**
 * Reloading an open editor after a teammate's change: a field the person has not touched takes
 * the new value; a field they edited too is a clash for them to settle, never overwritten.
 */
export function reloadPlan(changed: string[], draft: Record<string, unknown>, original: Record<string, unknown>): { take: string[]; clash: string[] } {
	const take: string[] = [];
	const clash: string[] = [];
	for (const f of changed) (sameValue(draft[f] ?? null, original[f] ?? null) ? take : clash).push(f);
	return { take, clash };
}

/** The person's day (YYYY-MM-DD) at `now`, in their time zone (or the one given). */
export function today(now: Date = new Date(), timeZone?: string): string {
	// By parts, not by a locale's format: the webview's locale data may write dates otherwise.
	const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
	const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
	return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The day `days` after `day` (YYYY-MM-DD), by the calendar. */
export function addDays(day: string, days: number): string {
	const [y = 1970, m = 1, d = 1] = day.split('-').map(Number);
	const date = new Date(Date.UTC(y, m - 1, d + days));
	return date.toISOString().slice(0, 10);
}

/**
 * Whether an open item's due date has passed (`overdue`) or falls in the next seven days,
 * today included (`this_week`), on the person's day `on`. A closed or undated item is neither.
 */
export function dueState(due: string | null | undefined, open: boolean, on: string): 'overdue' | 'this_week' | null {
	if (!due || !open) return null;
	if (due < on) return 'overdue';
	if (due <= addDays(on, 6)) return 'this_week';
	return null;
}

/** The narrowest a flexible column is shown (the first one, which names the item, a bit more). */
export const MIN_COLUMN = 110;
export const MIN_FIRST_COLUMN = 170;

/**
 * Which columns of a register fit in `available` pixels: each fixed column (`"140px"`) at its
 * width, each flexible one (`"2fr"`) at least `MIN_COLUMN`. Columns marked optional go first,
 * from the right, then others from the right; the first column always stays. Returns the
 * indices kept, in order, and the grid template for them (flexible columns as `minmax`, so a
 * long value truncates instead of pushing the next column over).
 */
export function fitColumns(columns: Array<{ width?: string; optional?: boolean }>, available: number): { kept: number[]; template: string } {
	const need = (i: number) => {
		const width = columns[i]?.width ?? '1fr';
		const px = /^(\d+(?:\.\d+)?)px$/.exec(width);
		return px ? Number(px[1]) : i === 0 ? MIN_FIRST_COLUMN : MIN_COLUMN;
	};
	const kept = columns.map((_, i) => i);
	const total = () => kept.reduce((sum, i) => sum + need(i), 0);
	const drop = (optional: boolean) => {
		for (let k = kept.length - 1; k > 0 && total() > available; k--) {
			const i = kept[k] ?? 0;
			if (!optional || columns[i]?.optional) kept.splice(k, 1);
		}
	};
	drop(true);
	drop(false);
	const template = kept
		.map((i) => {
			const width = columns[i]?.width ?? '1fr';
			return width.endsWith('fr') ? `minmax(${i === 0 ? MIN_FIRST_COLUMN : MIN_COLUMN}px, ${width})` : width;
		})
		.join(' ');
	return { kept, template };
}

/** The text with its first letter in capitals: a message from the Rust side as a sentence. */
export function capital(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
