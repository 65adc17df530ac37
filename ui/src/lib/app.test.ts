// The app store's save and undo, with the backend replaced by a recorder. The real path is
// covered end to end in tests/e2e; this pins down what an edit sends and what undo restores.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: Array<{ command: string; args: unknown[] }> = [];
const loads = { count: 0 };
let saved: unknown = { saved: 'updated', fields: [], revisions: {} };
let failure: unknown = null;

class FakeError extends Error {
	constructor(
		public code: string,
		message: string,
		public clashes: Array<{ author: string }> = []
	) {
		super(message);
	}
}

vi.mock('./backend', () => ({
	BackendError: FakeError,
	backend: {
		createItem: (...args: unknown[]) => (calls.push({ command: 'create', args }), Promise.resolve({ saved: 'created' })),
		editItem: (...args: unknown[]) => {
			calls.push({ command: 'edit', args });
			return failure ? Promise.reject(failure) : Promise.resolve(saved);
		},
		deleteItem: (...args: unknown[]) => (calls.push({ command: 'delete', args }), Promise.resolve(null)),
		restoreItem: (...args: unknown[]) => (calls.push({ command: 'restore', args }), Promise.resolve(null)),
		moveItem: (...args: unknown[]) => (calls.push({ command: 'move', args }), Promise.resolve({ saved: 'updated', fields: ['position'], revisions: { position: 7 } })),
		loadHandbook: () => ((loads.count += 1), Promise.resolve({ handbook: { program: { id: 'p' } }, revisions: { d1: { title: 7, question: 3 } } })),
		syncStatus: (program: string) => Promise.resolve(syncStatus(program, 'local', false)),
		conflicts: () => Promise.resolve([{ item_id: 'd1' }])
	}
}));

function syncStatus(program: string, phase: string, changed: boolean, conflicts = 0) {
	return { program, server: null, phase, synced_at: null, pending: 0, conflicts, rejected: 0, message: null, retry_in: null, changed };
}

const { app } = await import('./app.svelte');

beforeEach(async () => {
	saved = { saved: 'updated', fields: ['title'], revisions: { title: 42 } };
	failure = null;
	await app.open('p');
	// The store is one for the whole app: start each test with no edits to undo.
	while (app.undoable > 0) await app.undo();
	calls.length = 0;
	app.error = null;
});

describe('edits', () => {
	it('send only the fields that changed, with the revisions the person saw', async () => {
		await app.save('decision', { id: 'd1', title: 'Okta SSO path', question: 'Which IdP?' }, { id: 'd1', title: 'Okta path', question: 'Which IdP?' });
		expect(calls.at(-1)).toEqual({ command: 'edit', args: ['p', 'decision', 'd1', { title: { value: 'Okta SSO path', seen: 7 } }] });
	});

	it('use the revisions the editor captured when it opened, not the latest ones', async () => {
		await app.save('decision', { id: 'd1', title: 'New' }, { id: 'd1', title: 'Old' }, { title: 5 });
		expect(calls.at(-1)?.args[3]).toEqual({ title: { value: 'New', seen: 5 } });
	});

	it('send nothing when nothing changed', async () => {
		const result = await app.save('action', { id: 'a1', text: 'x' }, { id: 'a1', text: 'x' });
		expect(result).toEqual({ saved: 'unchanged' });
		expect(calls).toHaveLength(0);
		expect(app.undoable).toBe(0);
	});
});

describe('undo', () => {
	it('restores exactly the fields the last edit wrote, as of the revision it wrote', async () => {
		await app.save('decision', { id: 'd1', title: 'Okta SSO path', question: 'q' }, { id: 'd1', title: 'Okta path', question: 'q' });
		expect(app.undoable).toBe(1);
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'edit', args: ['p', 'decision', 'd1', { title: { value: 'Okta path', seen: 42 } }] });
		expect(app.undoable).toBe(0);
	});

	it('removes an item the last edit created', async () => {
		await app.save('risk', { id: 'r1' }, null);
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'delete', args: ['r1'] });
	});

	it('does not revert a field changed again since, and says so', async () => {
		await app.save('decision', { id: 'd1', title: 'B' }, { id: 'd1', title: 'A' });
		failure = new FakeError('stale', 'changed', [{ author: 'sam' }]);
		await app.undo();
		expect(app.error).toBe("Not undone: edit decision 'B' (title). It was changed again since (by sam).");
		// Still there to undo once the person has looked.
		expect(app.nextUndo).toBe("edit decision 'B' (title)");
	});

	it('puts a moved item back before the item it stood before', async () => {
		await app.move('milestone', 'm2', 'm1', 'm3');
		expect(calls.at(-1)).toEqual({ command: 'move', args: ['m2', 'm1'] });
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'move', args: ['m2', 'm3'] });
		expect(app.undoable).toBe(0);
		// The window's own moves are not news to an editor open on the item.
		expect(app.ownRevisions['m2']).toEqual({ position: 7 });
	});
});

describe('redo and named actions', () => {
	it('names what it undoes and redoes, and redo writes the edit again as of the undo', async () => {
		await app.save('decision', { id: 'd1', title: 'Okta SSO path', question: 'q' }, { id: 'd1', title: 'Okta path', question: 'q' });
		expect(app.nextUndo).toBe("edit decision 'Okta SSO path' (title)");
		saved = { saved: 'updated', fields: ['title'], revisions: { title: 43 } };
		await app.undo();
		expect(app.notice).toBe("Undone: edit decision 'Okta SSO path' (title).");
		expect(app.nextRedo).toBe("edit decision 'Okta SSO path' (title)");
		await app.redo();
		expect(calls.at(-1)).toEqual({ command: 'edit', args: ['p', 'decision', 'd1', { title: { value: 'Okta SSO path', seen: 43 } }] });
		expect(app.notice).toBe("Redone: edit decision 'Okta SSO path' (title).");
		expect(app.nextRedo).toBeNull();
	});

	it('brings a deleted item back on undo, and the banner offered it', async () => {
		await app.remove('risk', 'r9');
		expect(calls.at(-1)).toEqual({ command: 'delete', args: ['r9'] });
		expect(app.noticeOffersUndo).toBe(true);
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'restore', args: ['r9'] });
		expect(app.noticeOffersUndo).toBe(false);
		await app.redo();
		expect(calls.at(-1)).toEqual({ command: 'delete', args: ['r9'] });
	});

	it('undoes several saves taken together as one action', async () => {
		await app.together('record the outcome of review ‘Steering 3’', async () => {
			await app.save('decision', { id: 'd1', title: 'B' }, { id: 'd1', title: 'A' });
			await app.save('action', { id: 'a7', text: 'Book it' }, null);
		});
		expect(app.undoable).toBe(1);
		calls.length = 0;
		await app.undo();
		// Last step first: the new action goes, then the title is put back.
		expect(calls.map((c) => c.command)).toEqual(['delete', 'edit']);
		expect(app.undoable).toBe(0);
	});
});

describe('another program', () => {
	it('starts the undo history afresh', async () => {
		await app.save('decision', { id: 'd1', title: 'B' }, { id: 'd1', title: 'A' });
		expect(app.undoable).toBe(1);
		await app.open('q');
		expect(app.undoable).toBe(0);
		expect(app.nextUndo).toBeNull();
		await app.open('p');
	});
});

describe('the background sync', () => {
	it('reads the program again once per sync that changed it, and marks the items in conflict', async () => {
		const heard = (app as unknown as { heard: (s: unknown) => Promise<void> }).heard.bind(app);
		loads.count = 0;
		await heard(syncStatus('p', 'synced', false));
		expect(loads.count).toBe(0);
		await heard(syncStatus('p', 'synced', true, 1));
		expect(loads.count).toBe(1);
		expect([...app.inConflict]).toEqual(['d1']);
		expect(app.sync?.phase).toBe('synced');
		// Another program's status is not this window's.
		await heard(syncStatus('q', 'offline', true));
		expect(app.sync?.phase).toBe('synced');
		expect(loads.count).toBe(1);
	});
});
