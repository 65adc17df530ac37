// The app store's save and undo, with the backend replaced by a recorder. The real path is
// covered end to end in tests/e2e; this pins down what undo restores.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: Array<{ command: string; args: unknown[] }> = [];
let saved: { saved: string } = { saved: 'updated' };

vi.mock('./backend', () => ({
	BackendError: class extends Error {},
	backend: {
		saveItem: (...args: unknown[]) => (calls.push({ command: 'save', args }), Promise.resolve(saved)),
		deleteItem: (...args: unknown[]) => (calls.push({ command: 'delete', args }), Promise.resolve(null)),
		moveItem: (...args: unknown[]) => (calls.push({ command: 'move', args }), Promise.resolve(saved)),
		loadHandbook: () => Promise.resolve({ program: { id: 'p' } })
	}
}));

const { app } = await import('./app.svelte');

beforeEach(() => {
	calls.length = 0;
	saved = { saved: 'updated' };
	app.program = 'p';
});

describe('undo', () => {
	it('restores the item as it was before the last edit', async () => {
		const before = { id: 'd1', title: 'Okta path' };
		await app.save('decision', { id: 'd1', title: 'Okta SSO path' }, before);
		expect(app.undoable).toBe(1);
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'save', args: ['p', 'decision', before] });
		expect(app.undoable).toBe(0);
	});

	it('removes an item the last edit created', async () => {
		await app.save('risk', { id: 'r1' }, null);
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'delete', args: ['r1'] });
	});

	it('does not count a save that changed nothing', async () => {
		saved = { saved: 'unchanged' };
		await app.save('action', { id: 'a1' }, { id: 'a1' });
		expect(app.undoable).toBe(0);
		await app.undo();
		expect(calls.filter((c) => c.command === 'delete')).toHaveLength(0);
	});

	it('puts a moved item back before the item it stood before', async () => {
		await app.move('m2', 'm1', 'm3');
		expect(calls.at(-1)).toEqual({ command: 'move', args: ['m2', 'm1'] });
		await app.undo();
		expect(calls.at(-1)).toEqual({ command: 'move', args: ['m2', 'm3'] });
		expect(app.undoable).toBe(0);
	});
});
