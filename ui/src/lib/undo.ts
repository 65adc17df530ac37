// The person's own actions, to undo and redo: one history across screens, each action named in
// the lead's words and made of the exact steps it took (the fields an edit wrote, an item
// created, deleted or moved). Undoing or redoing replays only those steps, through field-level
// edits that name the revision the action left, so a change made since by anyone (a teammate, the
// CLI, another screen's later action) is never reverted: that step is refused and said.
import type { FieldEdit } from './bindings/FieldEdit';
import type { Id } from './bindings/Id';
import type { Kind } from './bindings/Kind';
import type { Saved } from './bindings/Saved';
import type { JsonValue } from './bindings/serde_json/JsonValue';

/** One field an edit wrote: what it held before and after, and the revision the last replay
 * (the edit itself, its undo or its redo) left it at. */
export interface FieldStep {
	before: unknown;
	after: unknown;
	revision: number;
}

export type Step =
	| { edited: { kind: Kind; id: Id; fields: Record<string, FieldStep> } }
	| { created: Id }
	| { deleted: Id }
	/** Moved to stand before `to`; it stood before `back` (null: the end of its list). */
	| { moved: { id: Id; to: Id | null; back: Id | null } };

export interface Action {
	/** What the person did, as a banner says it: "delete risk 'Kanopy planning starts…'". */
	name: string;
	steps: Step[];
}

/** What replaying a step needs from the shell. */
export interface Runner {
	edit(kind: Kind, id: Id, edits: Record<string, FieldEdit>): Promise<Saved>;
	remove(id: Id): Promise<unknown>;
	restore(id: Id): Promise<unknown>;
	move(id: Id, before: Id | null): Promise<unknown>;
}

type Direction = 'undo' | 'redo';

/** Replays one step backwards (undo) or forwards (redo); returns the step as it now stands. */
async function replay(step: Step, direction: Direction, run: Runner): Promise<Step> {
	const undo = direction === 'undo';
	if ('created' in step) {
		await (undo ? run.remove(step.created) : run.restore(step.created));
		return step;
	}
	if ('deleted' in step) {
		await (undo ? run.restore(step.deleted) : run.remove(step.deleted));
		return step;
	}
	if ('moved' in step) {
		await run.move(step.moved.id, undo ? step.moved.back : step.moved.to);
		return step;
	}
	const { kind, id, fields } = step.edited;
	const edits: Record<string, FieldEdit> = {};
	for (const [field, f] of Object.entries(fields)) edits[field] = { value: (undo ? f.before : f.after) as JsonValue, seen: f.revision };
	const saved = await run.edit(kind, id, edits);
	const next: Record<string, FieldStep> = {};
	for (const [field, f] of Object.entries(fields))
		next[field] = { ...f, revision: saved.saved === 'updated' ? (saved.revisions[field] ?? f.revision) : f.revision };
	return { edited: { kind, id, fields: next } };
}

export type Outcome =
	| { done: Direction; name: string }
	/** Nothing to undo or redo. */
	| { done: null }
	/** Some steps (maybe none) replayed, then one refused: the rest stays where it was. */
	| { refused: Direction; name: string; error: unknown; partly: boolean };

export class UndoHistory {
	private undos: Action[] = [];
	private redos: Action[] = [];
	/** Steps of an action still being taken (several saves that make one action). */
	private open: { name: string; steps: Step[] } | null = null;

	/** The name of what Ctrl+Z would undo, and of what redo would redo. */
	get nextUndo(): string | null {
		return this.undos.at(-1)?.name ?? null;
	}
	get nextRedo(): string | null {
		return this.redos.at(-1)?.name ?? null;
	}
	get undoCount(): number {
		return this.undos.length;
	}

	/** Records a step: part of the action being taken, else an action of its own. A new action
	 * ends what could be redone (redo replays the person's undone actions only in order). */
	record(name: string, step: Step) {
		if (this.open) {
			this.open.steps.push(step);
			return;
		}
		this.push({ name, steps: [step] });
	}

	/** Runs `work` as one action: every step it records undoes and redoes together. */
	async together<T>(name: string, work: () => Promise<T>): Promise<T> {
		const outer = this.open;
		if (outer) return work();
		this.open = { name, steps: [] };
		try {
			return await work();
		} finally {
			const action = this.open;
			this.open = null;
			// Steps taken before a failure still happened: they stay undoable.
			if (action.steps.length > 0) this.push(action);
		}
	}

	private push(action: Action) {
		this.undos.push(action);
		this.redos = [];
	}

	undo(run: Runner): Promise<Outcome> {
		return this.step('undo', run);
	}

	redo(run: Runner): Promise<Outcome> {
		return this.step('redo', run);
	}

	private async step(direction: Direction, run: Runner): Promise<Outcome> {
		const [from, to] = direction === 'undo' ? [this.undos, this.redos] : [this.redos, this.undos];
		const action = from.pop();
		if (!action) return { done: null };
		// Undo takes the steps last first; redo in the order they were taken.
		const order = direction === 'undo' ? [...action.steps].reverse() : [...action.steps];
		const replayed: Step[] = [];
		for (const [i, step] of order.entries()) {
			try {
				replayed.push(await replay(step, direction, run));
			} catch (error) {
				// What was replayed moves across; what was not stays, to try again later.
				const rest = order.slice(i);
				const back = (steps: Step[]) => (direction === 'undo' ? [...steps].reverse() : steps);
				if (replayed.length > 0) to.push({ name: action.name, steps: back(replayed) });
				from.push({ name: action.name, steps: back(rest) });
				return { refused: direction, name: action.name, error, partly: replayed.length > 0 };
			}
		}
		to.push({ name: action.name, steps: direction === 'undo' ? replayed.reverse() : replayed });
		return { done: direction, name: action.name };
	}
}

/** "risk 'Kanopy planning starts late'": an item as an action's name mentions it, cut to a
 * readable length. */
export function itemName(noun: string, label: string | undefined, max = 40): string {
	const text = (label ?? '').trim().replace(/\s+/g, ' ');
	if (!text) return noun;
	return `${noun} '${text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text}'`;
}
