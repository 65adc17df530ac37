// The Ctrl+K palette: commands and the program's items in one list, found by any words typed,
// with one entry highlighted that the arrow keys move and Enter runs.
import type { Handbook } from './bindings/Handbook';
import type { Kind } from './bindings/Kind';
import { labelOf, listOfKind } from './logic';

export interface Command {
	label: string;
	keys: string;
	run: () => unknown;
}

export type Entry = { command: Command } | { item: { kind: Exclude<Kind, 'program'>; id: string; label: string } };

/** How many items a search shows below the commands: enough to choose, few enough to read. */
export const ITEMS_SHOWN = 8;

/** True when every word typed is in `text` (any order, any case). */
function matches(text: string, words: string[]): boolean {
	const lower = text.toLowerCase();
	return words.every((w) => lower.includes(w));
}

/** The entries for what was typed: matching commands first, then items by their names. Nothing
 * typed: the commands alone (the items of a whole program are too many to be a menu). */
export function entries(commands: Command[], h: Handbook | null, typed: string): Entry[] {
	const words = typed.toLowerCase().split(/\s+/).filter(Boolean);
	const out: Entry[] = commands.filter((c) => matches(c.label, words)).map((command) => ({ command }));
	if (!h || words.length === 0) return out;
	let found = 0;
	for (const [kind, list] of Object.entries(listOfKind) as Array<[Exclude<Kind, 'program'>, keyof Handbook]>) {
		for (const x of h[list] as unknown as Array<Record<string, unknown>>) {
			const label = labelOf(x);
			if (!label || !matches(label, words)) continue;
			out.push({ item: { kind, id: String(x.id), label } });
			if (++found === ITEMS_SHOWN) return out;
		}
	}
	return out;
}

/** The highlighted entry after an arrow key: wraps at both ends; stays put in an empty list. */
export function nextHighlight(current: number, count: number, key: 'ArrowDown' | 'ArrowUp'): number {
	if (count === 0) return 0;
	return (current + (key === 'ArrowDown' ? 1 : -1) + count) % count;
}
