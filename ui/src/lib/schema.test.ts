import { describe, expect, it } from 'vitest';
import fixed from './bindings/choices.json';
import type { Handbook } from './bindings/Handbook';
import { choicesOf, fieldTypes, pickTypes, schemas } from './schema';
import type { Kind } from './bindings/Kind';

describe('the editor’s fields', () => {
	it('come from the model’s table: every kind has its fields, every type is one the editor renders', () => {
		const kinds: Kind[] = ['program', 'status', 'owner', 'workstream', 'decision', 'risk', 'dependency', 'phase', 'work_item', 'exit_criterion', 'milestone', 'readiness_dimension', 'readiness_check', 'review', 'action'];
		expect(Object.keys(schemas).sort()).toEqual([...kinds].sort());
		for (const kind of kinds) {
			expect(schemas[kind].length, kind).toBeGreaterThan(0);
			for (const field of schemas[kind]) {
				expect(fieldTypes as readonly string[], `${kind}.${field.key}`).toContain(field.type);
				expect(field.label, `${kind}.${field.key}`).not.toMatch(/_/);
			}
		}
		expect(schemas.decision.find((f) => f.key === 'risk_ids')?.label).toBe('Linked risks');
		expect(schemas.milestone.find((f) => f.key === 'target')?.type).toBe('date');
	});
});

describe('a field that is one pick from a list', () => {
	const h = {
		statuses: [{ id: 's1', name: 'Drafted' }],
		owners: [{ id: 'o1', name: 'Platform Engineering', short_name: 'Platform' }],
		workstreams: [],
		phases: [{ id: 'p1', view: 'Program plan', name: 'Discovery' }],
		readiness_dimensions: [],
		decisions: [
			{ id: 'd1', title: 'Okta' },
			{ id: 'd2', title: 'Kanopy' }
		],
		reviews: []
	} as unknown as Handbook;

	it('offers the model’s words for fixed choices, in its order, as a person reads them', () => {
		expect(choicesOf('level', h, {})?.options.map((o) => o.value)).toEqual(fixed.level);
		expect(choicesOf('readiness', h, {})?.options.map((o) => o.label)).toEqual(['not ready', 'partial', 'ready']);
		expect(choicesOf('level', h, {})?.unset).toBe(false);
	});

	it('offers the program’s items by name, unset where the field may be, and never the item itself', () => {
		expect(choicesOf('owner', h, {})).toEqual({ unset: true, options: [{ value: 'o1', label: 'Platform' }] });
		expect(choicesOf('optionalphase', h, {})?.options).toEqual([{ value: 'p1', label: 'Program plan: Discovery' }]);
		expect(choicesOf('status', h, {})?.unset).toBe(false);
		expect(choicesOf('decision', h, { id: 'd1' })?.options.map((o) => o.value)).toEqual(['d2']);
		expect(choicesOf('text', h, {})).toBeNull();
	});

	it('answers for exactly the pick types, which the editor shows as one select', () => {
		for (const type of fieldTypes) expect(choicesOf(type, h, {}) !== null, type).toBe(pickTypes.includes(type));
	});
});
