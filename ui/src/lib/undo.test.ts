// The undo history on its own, with a runner that records and can refuse: what each undo and
// redo sends, and that an action never touches another action's fields.
import { describe, expect, it } from 'vitest';
import type { FieldEdit } from './bindings/FieldEdit';
import { itemName, UndoHistory, type Runner, type Step } from './undo';

function recorder() {
	const sent: unknown[] = [];
	let revision = 100;
	let refuse: ((what: unknown) => boolean) | null = null;
	const run: Runner = {
		edit: async (kind, id, edits: Record<string, FieldEdit>) => {
			const what = ['edit', id, edits];
			if (refuse?.(what)) throw new Error('changed since');
			sent.push(what);
			revision += 1;
			return { saved: 'updated', fields: Object.keys(edits), revisions: Object.fromEntries(Object.keys(edits).map((f) => [f, revision])) };
		},
		remove: async (id) => sent.push(['remove', id]),
		restore: async (id) => {
			if (refuse?.(['restore', id])) throw new Error('its owner is gone');
			sent.push(['restore', id]);
		},
		move: async (id, before) => sent.push(['move', id, before])
	};
	return { run, sent, refuseWhen: (f: (what: unknown) => boolean) => (refuse = f) };
}

const edited = (id: string, field: string, before: unknown, after: unknown, revision: number): Step => ({
	edited: { kind: 'decision', id, fields: { [field]: { before, after, revision } } }
});

describe('undo history', () => {
	it('undoes the last action only, with the fields it wrote, as of the revision it left', async () => {
		const h = new UndoHistory();
		const { run, sent } = recorder();
		h.record("edit review 'Steering 3' (outcome)", { edited: { kind: 'review', id: 'v1', fields: { outcome: { before: '', after: 'Go', revision: 7 }, held_on: { before: null, after: '2026-11-30', revision: 8 } } } });
		h.record("delete risk 'Kanopy planning'", { deleted: 'r1' });
		expect(await h.undo(run)).toEqual({ done: 'undo', name: "delete risk 'Kanopy planning'" });
		expect(sent).toEqual([['restore', 'r1']]);
		expect(await h.undo(run)).toEqual({ done: 'undo', name: "edit review 'Steering 3' (outcome)" });
		expect(sent.at(-1)).toEqual(['edit', 'v1', { outcome: { value: '', seen: 7 }, held_on: { value: null, seen: 8 } }]);
		expect(await h.undo(run)).toEqual({ done: null });
	});

	it('redoes in the order undone, as of the revisions the undo left', async () => {
		const h = new UndoHistory();
		const { run, sent } = recorder();
		h.record('first', edited('d1', 'title', 'A', 'B', 5));
		h.record('second', { moved: { id: 'm2', to: 'm1', back: 'm3' } });
		await h.undo(run);
		await h.undo(run);
		expect(h.nextRedo).toBe('first');
		await h.redo(run);
		// The undo left the title at revision 101: the redo names it as seen.
		expect(sent.at(-1)).toEqual(['edit', 'd1', { title: { value: 'B', seen: 101 } }]);
		await h.redo(run);
		expect(sent.at(-1)).toEqual(['move', 'm2', 'm1']);
		expect(h.nextRedo).toBeNull();
		expect(h.nextUndo).toBe('second');
	});

	it('forgets what could be redone once the person acts anew', async () => {
		const h = new UndoHistory();
		const { run } = recorder();
		h.record('first', edited('d1', 'title', 'A', 'B', 5));
		await h.undo(run);
		h.record('other', { created: 'a1' });
		expect(h.nextRedo).toBeNull();
		expect(await h.redo(run)).toEqual({ done: null });
	});

	it('keeps an action it could not undo, and says so, changing nothing else', async () => {
		const h = new UndoHistory();
		const { run, sent, refuseWhen } = recorder();
		h.record('rename', edited('d1', 'title', 'A', 'B', 5));
		refuseWhen(() => true);
		const outcome = await h.undo(run);
		expect(outcome).toMatchObject({ refused: 'undo', name: 'rename', partly: false });
		expect(sent).toEqual([]);
		expect(h.nextUndo).toBe('rename');
		expect(h.nextRedo).toBeNull();
	});

	it('undoes an action of several steps together, last step first, and splits it only where refused', async () => {
		const h = new UndoHistory();
		const { run, sent, refuseWhen } = recorder();
		await h.together('record the outcome', async () => {
			h.record('x', edited('d1', 'status_id', 's1', 's2', 5));
			h.record('x', { created: 'a1' });
			h.record('x', edited('v1', 'outcome', '', 'Go', 6));
		});
		expect(h.undoCount).toBe(1);
		// The decision's status was changed again since: that step alone stays.
		refuseWhen((what) => Array.isArray(what) && what[1] === 'd1');
		const outcome = await h.undo(run);
		expect(outcome).toMatchObject({ refused: 'undo', partly: true });
		expect(sent).toEqual([
			['edit', 'v1', { outcome: { value: '', seen: 6 } }],
			['remove', 'a1']
		]);
		expect(h.nextUndo).toBe('record the outcome');
		expect(h.nextRedo).toBe('record the outcome');
		// Redo takes back exactly what was undone, in the order first taken.
		await h.redo(run);
		expect(sent.slice(2)).toEqual([
			['restore', 'a1'],
			['edit', 'v1', { outcome: { value: 'Go', seen: 101 } }]
		]);
	});

	it('keeps the steps taken before a failure inside an action', async () => {
		const h = new UndoHistory();
		await expect(
			h.together('two saves', async () => {
				h.record('x', { created: 'a1' });
				throw new Error('the second save was refused');
			})
		).rejects.toThrow('refused');
		expect(h.nextUndo).toBe('two saves');
		await h.together('nothing saved', async () => {});
		expect(h.undoCount).toBe(1);
	});
});

describe('item names', () => {
	it('quote the label, cut long ones, and fall back to the noun', () => {
		expect(itemName('risk', 'Kanopy planning starts late')).toBe("risk 'Kanopy planning starts late'");
		expect(itemName('risk', 'a'.repeat(60))).toBe(`risk '${'a'.repeat(39)}…'`);
		expect(itemName('exit criterion', '  ')).toBe('exit criterion');
		expect(itemName('action', undefined)).toBe('action');
	});
});
