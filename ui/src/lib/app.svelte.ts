// The app's state: the open program's handbook with the revision of each field, the person's
// own actions to undo and redo, and errors to show.
import { untrack } from 'svelte';
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
import type { YourName } from './bindings/YourName';
import type { JsonValue } from './bindings/serde_json/JsonValue';
import { capital, changedFields, findItem, labelOf } from './logic';
import { fieldName } from './sync';
import { itemName, UndoHistory, type Outcome, type Runner, type Step } from './undo';

/** Revision of each field, per item: what an edit names as seen. */
export type Revisions = Record<string, number>;

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
	/** The notice is about something undoable just done (a delete): it offers Undo. */
	noticeOffersUndo = $state(false);
	/** How many actions Ctrl+Z can undo, and the names of the next undo and redo. */
	undoable = $state(0);
	nextUndo = $state<string | null>(null);
	nextRedo = $state<string | null>(null);
	/** A register should open a new item of this kind (from the command palette). */
	requestNew = $state<Kind | null>(null);
	/** A register should open this item in its editor (from the Team sync screen). */
	requestOpen = $state<Id | null>(null);
	/** A register should show only these items (a heat-map cell on the dashboard). */
	requestFilter = $state<{ kind: Kind; where: Record<string, string>; openOnly: boolean; label: string } | null>(null);
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
	private history = new UndoHistory();
	/** The revisions this window's own writes made (saves, moves, undo and redo), by item: an
	 * open editor does not announce the person's own change as news. */
	ownRevisions = $state<Record<Id, Record<string, number>>>({});
	/** Who changes and documents are signed by, as the shell works it out: read once, shared by
	 * every screen that asks (the dashboard, My items, Settings), so a name given on one is the
	 * name the others show. */
	yourName = $state<YourName | null>(null);
	/** Reads who the person is signed as; `again` after something that may change it (a
	 * sign-in). Nothing when the shell cannot say. */
	async knowYourName(again = false): Promise<YourName | null> {
		// Not a dependency of the effect that asks: setting it below would ask again, forever.
		const known = untrack(() => this.yourName);
		if (known && !again) return known;
		try {
			this.yourName = await backend.yourName();
		} catch {
			this.yourName = null;
		}
		return this.yourName;
	}
	/** Gives (or clears, with an empty name) "Your name"; every screen shows it at once. */
	async setYourName(name: string): Promise<YourName> {
		this.yourName = await backend.setYourName(name);
		return this.yourName;
	}
	private wrote(id: Id, saved: Saved) {
		if (saved.saved !== 'updated') return;
		const mine = { ...(this.ownRevisions[id] ?? {}) };
		for (const f of saved.fields) mine[f] = saved.revisions[f] ?? mine[f] ?? 0;
		this.ownRevisions = { ...this.ownRevisions, [id]: mine };
	}
	private listening = false;

	async init() {
		try {
			if (!this.listening) {
				this.listening = true;
				await backend.onSyncStatus((status) => this.heard(status));
				await backend.onDatabaseChanged(() => this.elsewhere());
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
		// The undo history is the person's actions on the program in front of them: another
		// program starts it afresh (its items are not this one's).
		if (program !== this.program) {
			this.history = new UndoHistory();
			this.counted();
		}
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

	/** Another process wrote to the database (the command line on the same file): every screen
	 * reads the program again, its conflicts too, so none shows what is no longer stored. */
	private async elsewhere() {
		try {
			this.startup = await backend.startup();
			await this.reload();
			if (this.program) this.heard(await backend.syncStatus(this.program));
			if (this.program) this.inConflict = new Set((await backend.conflicts(this.program)).map((c) => c.item_id));
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
			const name = `add ${this.named(kind, item.id, item)}`;
			this.remember(name, { created: item.id });
			await this.reload();
			this.confirm(`${capital(name)}: done.`);
			return saved;
		}
		const changed = changedFields(before, item);
		if (changed.length === 0) return { saved: 'unchanged' };
		const revisions = seen ?? this.revisions[item.id] ?? {};
		const values = item as unknown as Record<string, unknown>;
		const edits: Record<string, FieldEdit> = {};
		for (const field of changed) edits[field] = { value: (values[field] ?? null) as JsonValue, seen: revisions[field] ?? 0 };
		const saved = await backend.editItem(this.program, kind, item.id, edits);
		this.wrote(item.id, saved);
		if (saved.saved === 'updated') {
			const old = before as unknown as Record<string, unknown>;
			const fields: Record<string, { before: unknown; after: unknown; revision: number }> = {};
			for (const field of saved.fields)
				fields[field] = { before: old[field] ?? null, after: values[field] ?? null, revision: saved.revisions[field] ?? 0 };
			const what = saved.fields.map((f) => fieldName(f).toLowerCase());
			const name = `edit ${this.named(kind, item.id, item)} (${listed(what)})`;
			this.remember(name, { edited: { kind, id: item.id, fields } });
			await this.reload();
			this.confirm(`Saved: ${name}.`);
			return saved;
		}
		await this.reload();
		return saved;
	}

	/** Runs several saves as one action the person undoes and redoes together (a review's
	 * outcome: its decisions, new actions and the review itself). */
	together<T>(name: string, work: () => Promise<T>): Promise<T> {
		this.grouping += 1;
		return this.history
			.together(name, work)
			.then((done) => {
				this.confirm(`${capital(name)}: done.`);
				return done;
			})
			.finally(() => {
				this.grouping -= 1;
				this.counted();
			});
	}

	/** Saves inside `together` are one action: the confirmation is said once, for all of them. */
	private grouping = 0;

	/** A save's confirmation: a toast that moves nothing on the screen, with Undo. */
	private confirm(text: string) {
		if (this.grouping > 0) return;
		this.notice = text;
		this.noticeOffersUndo = true;
	}

	/** Moves an item just before `before` (null: to the end of its list); `back` is the item it
	 * stood before, to put it back. */
	async move(kind: Kind, id: Id, before: Id | null, back: Id | null) {
		if (!this.program) throw new BackendError('no_program', 'Open or create a program first.');
		const saved = await backend.moveItem(id, before);
		this.wrote(id, saved);
		if (saved.saved !== 'unchanged') this.remember(`move ${this.named(kind, id)}`, { moved: { id, to: before, back } });
		await this.reload();
	}

	/** Deletes an item, without asking: the banner offers to undo it. */
	async remove(kind: Kind, id: Id) {
		const name = `delete ${this.named(kind, id)}`;
		await backend.deleteItem(id);
		this.remember(name, { deleted: id });
		await this.reload();
		this.notice = `${capital(name)}: done.`;
		this.noticeOffersUndo = true;
	}

	private named(kind: Kind, id: Id, item?: object): string {
		const found = item ?? (this.handbook ? findItem(this.handbook, id) : undefined);
		return itemName(kind.replace(/_/g, ' '), found ? labelOf(found as Record<string, unknown>) : undefined);
	}

	private remember(name: string, step: Step) {
		this.history.record(name, step);
		this.counted();
	}

	private counted() {
		this.undoable = this.history.undoCount;
		this.nextUndo = this.history.nextUndo;
		this.nextRedo = this.history.nextRedo;
	}

	private runner(program: Id): Runner {
		const own = async (id: Id, write: Promise<Saved>) => {
			const saved = await write;
			this.wrote(id, saved);
			return saved;
		};
		return {
			edit: (kind, id, edits) => own(id, backend.editItem(program, kind, id, edits)),
			remove: (id) => backend.deleteItem(id),
			restore: (id) => backend.restoreItem(id),
			move: (id, before) => own(id, backend.moveItem(id, before))
		};
	}

	/**
	 * Undoes the person's last action: exactly the steps it took (the fields it wrote, the item it
	 * created, deleted or moved), nothing else, so changes made since stand. A field changed
	 * again since by anyone is not reverted: the banner says so and the action stays undoable.
	 */
	undo(): Promise<void> {
		return this.replay('undo');
	}

	/** Takes the last undone action again, exactly as it was taken. */
	redo(): Promise<void> {
		return this.replay('redo');
	}

	private async replay(direction: 'undo' | 'redo') {
		if (!this.program) return;
		this.noticeOffersUndo = false;
		const outcome = await this.history[direction](this.runner(this.program));
		this.counted();
		this.said(outcome);
		if (!('done' in outcome && outcome.done === null)) await this.reload().catch((err) => (this.error = message(err)));
	}

	private said(outcome: Outcome) {
		if ('refused' in outcome) {
			const verb = outcome.refused === 'undo' ? 'undone' : 'redone';
			const err = outcome.error;
			const why =
				err instanceof BackendError && err.code === 'stale'
					? `it was changed again since (${err.clashes.map((c) => `by ${c.author}`).join(', ')})`
					: message(err);
			this.error = `${outcome.partly ? `Partly ${verb}` : `Not ${verb}`}: ${outcome.name}. ${capital(why)}${why.endsWith('.') ? '' : '.'}`;
		} else if (outcome.done) {
			this.notice = `${outcome.done === 'undo' ? 'Undone' : 'Redone'}: ${outcome.name}.`;
		}
	}
}

/** "status", "status and outcome", "title, status and outcome". */
export function listed(words: string[]): string {
	return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

export function message(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

export const app = new AppState();
