// The one module that talks to the Rust side. Every command, typed with the bindings generated
// from the Rust types (src/lib/bindings, `make bindings`).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ChangesView } from './bindings/ChangesView';
import type { Clash } from './bindings/Clash';
import type { ErrorCode } from './bindings/ErrorCode';
import type { Reminders } from './bindings/Reminders';
import type { ConflictView } from './bindings/ConflictView';
import type { FieldEdit } from './bindings/FieldEdit';
import type { Finding } from './bindings/Finding';
import type { HistoryEntry } from './bindings/HistoryEntry';
import type { Id } from './bindings/Id';
import type { IssuedDocument } from './bindings/IssuedDocument';
import type { Kind } from './bindings/Kind';
import type { Loaded } from './bindings/Loaded';
import type { ProgramAccess } from './bindings/ProgramAccess';
import type { ProviderForm } from './bindings/ProviderForm';
import type { RejectedView } from './bindings/RejectedView';
import type { SetAsideView } from './bindings/SetAsideView';
import type { Request } from './bindings/Request';
import type { Saved } from './bindings/Saved';
import type { ServerProgram } from './bindings/ServerProgram';
import type { SignInView } from './bindings/SignInView';
import type { Startup } from './bindings/Startup';
import type { SyncStatus } from './bindings/SyncStatus';
import type { UsageSharing } from './bindings/UsageSharing';
import type { YourName } from './bindings/YourName';
import type { FollowUps } from './bindings/FollowUps';
import type { MyItems } from './bindings/MyItems';
import type { PortfolioView } from './bindings/PortfolioView';
import type { LinkView } from './bindings/LinkView';
import type { PlanBaseline } from './bindings/PlanBaseline';
import type { OtherProgramItem } from './bindings/OtherProgramItem';

/** The error every command returns: a code to match on and a message that says what to do. */
export class BackendError extends Error {
	constructor(
		/** What went wrong, one of the shell's codes (generated from Rust). */
		public code: ErrorCode,
		message: string,
		/** For `stale`: the fields someone else changed meanwhile, with both values. */
		public clashes: Clash[] = [],
		/** For `invalid`: each problem at its field (empty: the item's as a whole). */
		public problems: Array<{ field: string; message: string }> = []
	) {
		super(message);
	}
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
	try {
		return await invoke<T>(command, args);
	} catch (err) {
		if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
			const clashes = 'clashes' in err && Array.isArray(err.clashes) ? (err.clashes as Clash[]) : [];
			const problems = 'problems' in err && Array.isArray(err.problems) ? (err.problems as BackendError['problems']) : [];
			throw new BackendError(String(err.code) as ErrorCode, String(err.message), clashes, problems);
		}
		throw new BackendError('internal', String(err));
	}
}

export const backend = {
	startup: () => call<Startup>('startup'),
	createProgram: (sample: boolean, name?: string) => call<Id>('create_program', { sample, name: name ?? null }),
	/** The handbook and the revision of each field of each item, read together. */
	loadHandbook: (program: Id) => call<Loaded>('load_handbook', { program }),
	createItem: (program: Id, kind: Kind, item: unknown) => call<Saved>('create_item', { program, kind, item }),
	/** Writes only the fields given, each with the revision the person saw. */
	editItem: (program: Id, kind: Kind, id: Id, edits: Record<string, FieldEdit>) =>
		call<Saved>('edit_item', { program, kind, id, edits }),
	deleteItem: (id: Id) => call<null>('delete_item', { id }),
	/** Brings a deleted item back, whole and in its old place (the undo of a delete). */
	restoreItem: (id: Id) => call<null>('restore_item', { id }),
	/** Puts an item just before `before` in its list, or at the end when `before` is null. */
	moveItem: (id: Id, before: Id | null) => call<Saved>('move_item', { id, before }),
	history: (program: Id, item: Id | null, since: string | null) =>
		call<HistoryEntry[]>('history', { program, item, since }),
	changesSinceLastReadout: (program: Id) => call<ChangesView>('changes_since_last_readout', { program }),
	previewDocument: (request: Request) => call<ArrayBuffer>('preview_document', { request }),
	/** Issues a document; the shell asks where to save it (unless it runs with a documents
	 * folder). Null when the person cancels the dialog. */
	/** Refused with code `open_conflicts` while a conflict is open, unless `withOpenConflicts`. */
	saveDocument: (request: Request, withOpenConflicts = false) => call<IssuedDocument | null>('save_document', { request, withOpenConflicts }),
	documents: (program: Id) => call<IssuedDocument[]>('documents', { program }),
	/** An archived document rendered again here and checked against its SHA-256 (a `mismatch`
	 * error when it differs). */
	regenerateDocument: (id: Id) => call<ArrayBuffer>('regenerate_document', { id }),
	/** Saves an archived document, rendered again and checked, where the person chooses. */
	saveArchivedDocument: (id: Id) => call<boolean>('save_archived_document', { id }),
	/** Prints on the printer the person picks in the system's dialog and archives it; null when cancelled. */
	printDocument: (request: Request, withOpenConflicts = false) => call<IssuedDocument | null>('print_document', { request, withOpenConflicts }),
	/** Prints an archived document, rendered again and checked; false when cancelled. */
	printArchivedDocument: (id: Id) => call<boolean>('print_archived_document', { id }),
	/** Team sync: the token and the server stay on the Rust side; these only ask it to act. */
	syncStatus: (program: Id) => call<SyncStatus>('sync_status', { program }),
	syncNow: (program: Id) => call<null>('sync_now', { program }),
	serverPrograms: (server: string) => call<ServerProgram[]>('server_programs', { server }),
	publishProgram: (program: Id, server: string) => call<SyncStatus>('publish_program', { program, server }),
	joinProgram: (server: string, program: Id) => call<Id>('join_program', { server, program }),
	conflicts: (program: Id) => call<ConflictView[]>('conflicts', { program }),
	resolveConflict: (conflict: Id, choice: unknown) => call<null>('resolve_conflict', { conflict, choice }),
	rejected: (program: Id) => call<RejectedView[]>('rejected', { program }),
	retryRejected: (id: number) => call<null>('retry_rejected', { id }),
	discardRejected: (id: number) => call<null>('discard_rejected', { id }),
	/** Changes from the server this database could not apply, set aside with the reason. */
	setAside: (program: string) => call<SetAsideView[]>('set_aside', { program }),
	retrySetAside: (id: number) => call<boolean>('retry_set_aside', { id }),
	discardSetAside: (id: number) => call<null>('discard_set_aside', { id }),
	/** The person confirms the server the program's database names (Rust reads which). */
	trustProgramServer: (program: Id) => call<SyncStatus>('trust_program_server', { program }),
	/** Sign-in: the browser is the system's and the tokens stay on the Rust side; the window
	 * learns who is signed in and what they may do. */
	whoAmI: () => call<SignInView>('who_am_i'),
	signIn: (server: string | null) => call<SignInView>('sign_in', { server }),
	signOut: () => call<SignInView>('sign_out'),
	programAccess: (program: Id) => call<ProgramAccess>('program_access', { program }),
	/** Where to sign in, as the settings file keeps it (shared with the command line). */
	providerSettings: () => call<ProviderForm>('provider_settings'),
	saveProviderSettings: (form: ProviderForm) => call<null>('save_provider_settings', { form }),
	/** "Your name" in Settings, and who changes are recorded as now. */
	/** What else goes stale once these decisions are decided: asks that speak of them, and
	 * workstreams left saying Needs decision. */
	outcomeFollowUps: (program: Id, decided: Id[]) => call<FollowUps>('outcome_follow_ups', { program, decided }),
	/** Exports the program as JSON where the person chooses (the shell's dialog or documents
	 * folder); the file's name, or null when they cancel. */
	exportProgram: (program: Id) => call<string | null>('export_program', { program }),
	/** With a documents folder, the program files in it by name; else null (a dialog asks). */
	importChoices: () => call<string[] | null>('import_choices'),
	/** Imports a program, whole or not at all: its id, or null when the person cancels. */
	importProgram: (name: string | null) => call<Id | null>('import_program', { name }),
	yourName: () => call<YourName>('your_name'),
	/** Who the person is in the program and what is theirs, most urgent first. */
	myItems: (program: Id) => call<MyItems>('my_items', { program }),
	/** Records who the person is in the program (null: go by their name again). */
	setYouAre: (program: Id, you: Id | null) => call<MyItems>('set_you_are', { program, you }),
	/** Whether the desktop reminds the person when something of theirs falls due. */
	reminders: () => call<Reminders>('reminders'),
	setReminders: (on: boolean) => call<boolean>('set_reminders', { on }),
	setYourName: (name: string) => call<YourName>('set_your_name', { name }),
	/** What a careful lead would catch before sending (none blocks sending). */
	checkProgram: (program: Id) => call<Finding[]>('check_program', { program }),
	/** Whether this database shares usage counts (kind and day only) with the team's server. */
	usageSharing: () => call<UsageSharing>('usage_sharing'),
	setUsageSharing: (on: boolean) => call<UsageSharing>('set_usage_sharing', { on }),
	/** Counts a recorded review outcome, when sharing is on. */
	reviewRecorded: () => call<null>('review_recorded'),
	/** The baselines the Plan can be drawn against, the one drawn (`name`, "none", or the
	 * default: the latest a lead set, else the last readout) and the program as it stood then. */
	planBaseline: (program: Id, name: string | null) => call<PlanBaseline>('plan_baseline', { program, name }),
	/** The milestones, decisions and phases of the other programs here: what a dependency may name. */
	otherItems: (program: Id) => call<OtherProgramItem[]>('other_items', { program }),
	/** The dependencies between the program and others, each judged, with its sentence. */
	links: (program: Id) => call<LinkView[]>('links', { program }),
	/** Every program chosen for the portfolio at a glance, the sentence over them, the choice. */
	portfolio: () => call<PortfolioView>('portfolio'),
	/** Keeps the programs the portfolio shows; null: every program. */
	choosePortfolio: (programs: Id[] | null) => call<null>('choose_portfolio', { programs }),
	/** The Portfolio Readout as of now (not archived). */
	previewPortfolio: () => call<ArrayBuffer>('preview_portfolio'),
	/** Saves the Portfolio Readout where the person chooses: its file name, or null on cancel. */
	savePortfolio: () => call<string | null>('save_portfolio'),
	/** Every status the background sync reports. */
	onSyncStatus: (heard: (status: SyncStatus) => void): Promise<UnlistenFn> => listen<SyncStatus>('sync-status', (e) => heard(e.payload)),
	/** Another process (the command line, a second window) wrote to this database. */
	onDatabaseChanged: (heard: () => void): Promise<UnlistenFn> => listen<null>('database-changed', () => heard()),
	/** The person clicked a reminder: show that program's My items. */
	onOpenMyItems: (heard: (program: Id | null) => void): Promise<UnlistenFn> => listen<Id | null>('open-my-items', (e) => heard(e.payload)),
	/** Tells the shell the first screen has painted (for the launch benchmark). */
	firstPaint: () => call<null>('first_paint')
};
