// The app's state: the open program's handbook, the last edits for undo, and errors to show.
import { backend, BackendError } from './backend';
import type { Handbook } from './bindings/Handbook';
import type { Id } from './bindings/Id';
import type { Kind } from './bindings/Kind';
import type { Startup } from './bindings/Startup';

type Edit =
	| {
			kind: Kind;
			/** The item before the edit; null when the edit created it. */
			before: { id: Id } | null;
			after: { id: Id };
	  }
	| {
			moved: Id;
			/** The item it stood before (null: it was last), to put it back. */
			back: Id | null;
	  };

class AppState {
	startup = $state<Startup | null>(null);
	program = $state<Id | null>(null);
	handbook = $state<Handbook | null>(null);
	/** An error not tied to a form: shown in the banner. */
	error = $state<string | null>(null);
	notice = $state<string | null>(null);
	undoable = $state(0);
	/** A register should open a new item of this kind (from the command palette). */
	requestNew = $state<Kind | null>(null);
	private edits: Edit[] = [];

	async init() {
		try {
			this.startup = await backend.startup();
			const first = this.startup.programs[0];
			if (first) await this.open(first.id);
		} catch (err) {
			this.error = message(err);
		}
	}

	async open(program: Id) {
		this.program = program;
		await this.reload();
	}

	async reload() {
		if (!this.program) return;
		this.handbook = await backend.loadHandbook(this.program);
	}

	async create(sample: boolean, name?: string) {
		const id = await backend.createProgram(sample, name);
		this.startup = await backend.startup();
		await this.open(id);
	}

	/** Saves an item; throws a BackendError the form shows where the problem is. */
	async save<T extends { id: Id }>(kind: Kind, item: T, before: T | null) {
		if (!this.program) throw new BackendError('no_program', 'Open or create a program first.');
		const saved = await backend.saveItem(this.program, kind, item);
		if (saved.saved !== 'unchanged') {
			this.edits.push({ kind, before, after: item });
			this.undoable = this.edits.length;
		}
		await this.reload();
		return saved;
	}

	/** Moves an item just before `before` (null: to the end of its list). */
	async move(id: Id, before: Id | null, back: Id | null) {
		if (!this.program) throw new BackendError('no_program', 'Open or create a program first.');
		const saved = await backend.moveItem(id, before);
		if (saved.saved !== 'unchanged') {
			this.edits.push({ moved: id, back });
			this.undoable = this.edits.length;
		}
		await this.reload();
	}

	/** Undoes the last edit of this session: restores the item as it was, or removes it. */
	async undo() {
		const edit = this.edits.pop();
		this.undoable = this.edits.length;
		if (!edit || !this.program) return;
		try {
			if ('moved' in edit) await backend.moveItem(edit.moved, edit.back);
			else if (edit.before) await backend.saveItem(this.program, edit.kind, edit.before);
			else await backend.deleteItem(edit.after.id);
			this.notice = 'Undone.';
			await this.reload();
		} catch (err) {
			this.error = message(err);
		}
	}

	async remove(id: Id) {
		await backend.deleteItem(id);
		await this.reload();
	}
}

export function message(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

export const app = new AppState();
