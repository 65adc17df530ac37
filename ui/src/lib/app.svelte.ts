// The app's state: the open program's handbook with the revision of each field, the person's
// last edits for undo, and errors to show.
import { backend, BackendError } from './backend';
import type { FieldEdit } from './bindings/FieldEdit';
import type { Handbook } from './bindings/Handbook';
import type { Id } from './bindings/Id';
import type { Kind } from './bindings/Kind';
import type { ProgramAccess } from './bindings/ProgramAccess';
import type { Saved } from './bindings/Saved';
import type { SignInView } from './bindings/SignInView';
import type { Startup } from './bindings/Startup';
import type { SyncStatus } from './bindings/SyncStatus';
import type { JsonValue } from './bindings/serde_json/JsonValue';
import { changedFields } from './logic';

/** Revision of each field, per item: what an edit names as seen. */
export type Revisions = Record<string, number>;

type Edit =
	| {
			kind: Kind;
			id: Id;
			/** Each field the edit wrote: its value before, and its revision after (the undo's "seen"). */
			fields: Record<string, { before: unknown; revision: number }>;
	  }
	| { created: Id }
	| {
			moved: Id;
			/** The item it stood before (null: it was last), to put it back. */
			back: Id | null;
	  };

class AppState {
	startup = $state<Startup | null>(null);
	program = $state<Id | null>(null);
	handbook = $state<Handbook | null>(null);
	/** Per item, the revision of each field, loaded with the handbook. Replaced whole on each
	 * load, which is what an open editor watches to see a teammate's change. */
	revisions = $state.raw<Record<Id, Revisions>>({});
	/** An error not tied to a form: shown in the banner. */
	error = $state<string | null>(null);
	notice = $state<string | null>(null);
	undoable = $state(0);
	/** A register should open a new item of this kind (from the command palette). */
	requestNew = $state<Kind | null>(null);
	/** A register should open this item in its editor (from the Team sync screen). */
	requestOpen = $state<Id | null>(null);
	/** The open program's team sync, as the background sync last reported it. */
	sync = $state<SyncStatus | null>(null);
	/** Items with an open conflict: the registers and the dashboard mark them. */
	inConflict = $state<Set<Id>>(new Set());
	/** Who is signed in (never a token). */
	who = $state<SignInView | null>(null);
	/** What the person may do on the open program, as its server says. */
	access = $state<ProgramAccess | null>(null);
	/** A viewer's screens: nothing to change, with the reason shown. */
	readOnly = $derived(this.access?.read_only ?? false);
	private edits: Edit[] = [];
	private listening = false;

	async init() {
		try {
			if (!this.listening) {
				this.listening = true;
				await backend.onSyncStatus((status) => this.heard(status));
			}
			this.startup = await backend.startup();
			this.who = await backend.whoAmI();
			const first = this.startup.programs[0];
			if (first) await this.open(first.id);
		} catch (err) {
			this.error = message(err);
		}
	}

	async open(program: Id) {
		this.program = program;
		await this.reload();
		this.heard(await backend.syncStatus(program));
		await this.checkAccess();
	}

	/** Asks the open program's server what the person may do on it (offline: the last answer). */
	async checkAccess() {
		if (!this.program) return;
		try {
			this.access = await backend.programAccess(this.program);
		} catch {
			this.access = null;
		}
	}

	/** After a sign-in or out: who, the startup facts and the open program's access again. */
	async signedIn(who: SignInView) {
		this.who = who;
		this.startup = await backend.startup();
		await this.checkAccess();
		if (this.program) this.heard(await backend.syncStatus(this.program));
	}

	async reload() {
		if (!this.program) return;
		const loaded = await backend.loadHandbook(this.program);
		this.revisions = loaded.revisions;
		this.handbook = loaded.handbook;
	}

	/** A status from the background sync: the window reads the program again when the sync
	 * changed it (once per sync, however many changes it brought), and the conflict marks. */
	private async heard(status: SyncStatus) {
		if (status.program !== this.program) return;
		const before = this.sync;
		this.sync = status;
		try {
			if (status.changed) await this.reload();
			if (status.changed || status.conflicts !== (before?.conflicts ?? 0))
				this.inConflict = new Set(status.conflicts > 0 ? (await backend.conflicts(status.program)).map((c) => c.item_id) : []);
		} catch (err) {
			this.error = message(err);
		}
	}

	/** Sync at once (the sync button). */
	async syncNow() {
		if (this.program) await backend.syncNow(this.program);
	}

	/** A program joined from a server: list it and open it. */
	async joined(id: Id) {
		this.startup = await backend.startup();
		await this.open(id);
	}

	async create(sample: boolean, name?: string) {
		const id = await backend.createProgram(sample, name);
		this.startup = await backend.startup();
		await this.open(id);
	}

	/**
	 * Saves an item: a new one (`before` null) whole, an existing one as the fields that differ
	 * from `before`, each with the revision the person saw (`seen`, else the revisions loaded with
	 * the handbook `before` came from). Throws a BackendError the form shows; a `stale` one names
	 * the fields someone else changed meanwhile.
	 */
	async save<T extends { id: Id }>(kind: Kind, item: T, before: T | null, seen?: Revisions): Promise<Saved> {
		if (!this.program) throw new BackendError('no_program', 'Open or create a program first.');
		if (before === null) {
			const saved = await backend.createItem(this.program, kind, item);
			this.remember({ created: item.id });
			await this.reload();
			return saved;
		}
		const changed = changedFields(before, item);
		if (changed.length === 0) return { saved: 'unchanged' };
		const revisions = seen ?? this.revisions[item.id] ?? {};
		const values = item as unknown as Record<string, unknown>;
		const edits: Record<string, FieldEdit> = {};
		for (const field of changed) edits[field] = { value: (values[field] ?? null) as JsonValue, seen: revisions[field] ?? 0 };
		const saved = await backend.editItem(this.program, kind, item.id, edits);
		if (saved.saved === 'updated') {
			const old = before as unknown as Record<string, unknown>;
			const fields: Record<string, { before: unknown; revision: number }> = {};
			for (const field of saved.fields) fields[field] = { before: old[field] ?? null, revision: saved.revisions[field] ?? 0 };
			this.remember({ kind, id: item.id, fields });
		}
		await this.reload();
		return saved;
	}

	/** Moves an item just before `before` (null: to the end of its list). */
	async move(id: Id, before: Id | null, back: Id | null) {
		if (!this.program) throw new BackendError('no_program', 'Open or create a program first.');
		const saved = await backend.moveItem(id, before);
		if (saved.saved !== 'unchanged') this.remember({ moved: id, back });
		await this.reload();
	}

	private remember(edit: Edit) {
		this.edits.push(edit);
		this.undoable = this.edits.length;
	}

	/**
	 * Undoes the person's last edit: restores exactly the fields it wrote (nothing else, so a
	 * change made since to other fields stands), removes what it created, or moves it back. A
	 * field changed again since by someone else is not reverted: the banner says so.
	 */
	async undo() {
		const edit = this.edits.pop();
		this.undoable = this.edits.length;
		if (!edit || !this.program) return;
		try {
			if ('moved' in edit) await backend.moveItem(edit.moved, edit.back);
			else if ('created' in edit) await backend.deleteItem(edit.created);
			else {
				const edits: Record<string, FieldEdit> = {};
				for (const [field, f] of Object.entries(edit.fields)) edits[field] = { value: f.before as JsonValue, seen: f.revision };
				await backend.editItem(this.program, edit.kind, edit.id, edits);
			}
			this.notice = 'Undone.';
			await this.reload();
		} catch (err) {
			this.error =
				err instanceof BackendError && err.code === 'stale'
					? `Not undone: it was changed again since (${err.clashes.map((c) => `by ${c.author}`).join(', ')}).`
					: message(err);
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
