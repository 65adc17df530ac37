// The one module that talks to the Rust side. Every command, typed with the bindings generated
// from the Rust types (src/lib/bindings, `make bindings`).
import { invoke } from '@tauri-apps/api/core';
import { save as saveDialog } from '@tauri-apps/plugin-dialog';
import type { ChangesView } from './bindings/ChangesView';
import type { Handbook } from './bindings/Handbook';
import type { HistoryEntry } from './bindings/HistoryEntry';
import type { Id } from './bindings/Id';
import type { IssuedDocument } from './bindings/IssuedDocument';
import type { Kind } from './bindings/Kind';
import type { Request } from './bindings/Request';
import type { Saved } from './bindings/Saved';
import type { Startup } from './bindings/Startup';

/** The error every command returns: a code to match on and a message that says what to do. */
export class BackendError extends Error {
	constructor(
		public code: string,
		message: string
	) {
		super(message);
	}
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
	try {
		return await invoke<T>(command, args);
	} catch (err) {
		if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
			throw new BackendError(String(err.code), String(err.message));
		}
		throw new BackendError('internal', String(err));
	}
}

export const backend = {
	startup: () => call<Startup>('startup'),
	createProgram: (sample: boolean, name?: string) => call<Id>('create_program', { sample, name: name ?? null }),
	loadHandbook: (program: Id) => call<Handbook>('load_handbook', { program }),
	saveItem: (program: Id, kind: Kind, item: unknown) => call<Saved>('save_item', { program, kind, item }),
	deleteItem: (id: Id) => call<null>('delete_item', { id }),
	/** Puts an item just before `before` in its list, or at the end when `before` is null. */
	moveItem: (id: Id, before: Id | null) => call<Saved>('move_item', { id, before }),
	history: (program: Id, item: Id | null, since: string | null) =>
		call<HistoryEntry[]>('history', { program, item, since }),
	changesSinceLastReadout: (program: Id) => call<ChangesView>('changes_since_last_readout', { program }),
	previewDocument: (request: Request) => call<ArrayBuffer>('preview_document', { request }),
	/** Asks where to save (unless the app runs with a documents folder), then issues. */
	async saveDocument(request: Request, suggestedName: string, ask: boolean): Promise<IssuedDocument | null> {
		let path: string | null = null;
		if (ask) {
			path = await saveDialog({ defaultPath: suggestedName, filters: [{ name: 'PDF', extensions: ['pdf'] }] });
			if (path === null) return null;
		}
		return call<IssuedDocument>('save_document', { request, path });
	},
	documents: (program: Id) => call<IssuedDocument[]>('documents', { program }),
	/** Tells the shell the first screen has painted (for the launch benchmark). */
	firstPaint: () => call<null>('first_paint')
};
