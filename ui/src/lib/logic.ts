// Logic the screens share, kept free of Svelte and IPC so it can be tested on its own.
import type { Handbook } from './bindings/Handbook';
import type { Id } from './bindings/Id';
import type { Level } from './bindings/Level';
import type { Risk } from './bindings/Risk';
import type { Status } from './bindings/Status';

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

/** What a person calls each item, by id: its title, name, area, statement or text. */
export function labels(h: Handbook): Record<string, string> {
	const out: Record<string, string> = { [h.program.id]: h.program.name };
	for (const value of Object.values(h as unknown as Record<string, unknown>)) {
		if (!Array.isArray(value)) continue;
		for (const x of value as Array<Record<string, unknown>>) {
			out[String(x.id)] = String(x.title ?? x.name ?? x.area ?? x.statement ?? x.text ?? x.id);
		}
	}
	return out;
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

/** Open risks, most serious first. */
export function topRisks(h: Handbook, limit: number): Risk[] {
	const rank = (l: Level) => LEVELS.indexOf(l);
	return h.risks
		.filter((r) => isOpen(h, r.status_id))
		.sort((a, b) => rank(b.severity) - rank(a.severity) || rank(b.likelihood) - rank(a.likelihood))
		.slice(0, limit);
}

export interface ListQuery {
	search: string;
	status: Id | '';
	sort: string;
	descending: boolean;
}

/**
 * Filters by status and a search over every text field, then sorts by a field. Works on plain
 * objects so every register uses it.
 */
export function query<T extends { status_id?: Id }>(items: T[], q: ListQuery, text: (item: T) => string): T[] {
	const needle = q.search.trim().toLowerCase();
	const out = items.filter(
		(item) => (q.status === '' || item.status_id === q.status) && (needle === '' || text(item).toLowerCase().includes(needle))
	);
	if (q.sort) {
		const key = q.sort as keyof T;
		out.sort((a, b) => {
			const x = String(a[key] ?? '');
			const y = String(b[key] ?? '');
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
