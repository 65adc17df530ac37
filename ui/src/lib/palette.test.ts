import { describe, expect, it } from 'vitest';
import type { Handbook } from './bindings/Handbook';
import { entries, ITEMS_SHOWN, nextHighlight, type Command } from './palette';

const noop = () => {};
const commands: Command[] = [
	{ label: 'New decision', keys: 'Ctrl+D', run: noop },
	{ label: 'Go to Decisions', keys: '', run: noop },
	{ label: 'Undo', keys: 'Ctrl+Z', run: noop }
];
const handbook = {
	program: { id: 'p', name: 'Builder Insights' },
	statuses: [],
	owners: [{ id: 'o1', name: 'Okta team' }],
	workstreams: [{ id: 'w1', area: 'Identity and SSO' }],
	decisions: [
		{ id: 'd1', title: 'Okta SSO path and claims model' },
		{ id: 'd2', title: 'Kanopy environment order' }
	],
	risks: [{ id: 'r1', statement: 'Identity decisions stay abstract' }],
	dependencies: [],
	phases: [],
	work_items: [],
	exit_criteria: [],
	milestones: [],
	readiness_dimensions: [],
	readiness_checks: [],
	reviews: [],
	actions: Array.from({ length: 20 }, (_, i) => ({ id: `a${i}`, text: `Follow up ${i}` }))
} as unknown as Handbook;

describe('the palette', () => {
	it('shows the commands alone until something is typed', () => {
		expect(entries(commands, handbook, '  ')).toHaveLength(3);
	});

	it('finds items by their names, any word order and case, after the commands', () => {
		const found = entries(commands, handbook, 'OKTA');
		expect(found).toEqual([
			{ item: { kind: 'owner', id: 'o1', label: 'Okta team' } },
			{ item: { kind: 'decision', id: 'd1', label: 'Okta SSO path and claims model' } }
		]);
		expect(entries(commands, handbook, 'claims okta')).toHaveLength(1);
		const mixed = entries(commands, handbook, 'decision');
		expect(mixed.map((e) => ('command' in e ? e.command.label : e.item.label))).toEqual(['New decision', 'Go to Decisions', 'Identity decisions stay abstract']);
	});

	it('finds nothing for words nowhere in the program', () => {
		expect(entries(commands, handbook, 'zebra')).toEqual([]);
	});

	it('shows a bounded number of items', () => {
		expect(entries(commands, handbook, 'follow')).toHaveLength(ITEMS_SHOWN);
	});

	it('moves the highlight with the arrows, wrapping at the ends', () => {
		expect(nextHighlight(0, 3, 'ArrowDown')).toBe(1);
		expect(nextHighlight(2, 3, 'ArrowDown')).toBe(0);
		expect(nextHighlight(0, 3, 'ArrowUp')).toBe(2);
		expect(nextHighlight(0, 0, 'ArrowUp')).toBe(0);
	});
});
