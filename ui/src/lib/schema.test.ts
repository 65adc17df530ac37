import { describe, expect, it } from 'vitest';
import { fieldTypes, schemas } from './schema';
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
