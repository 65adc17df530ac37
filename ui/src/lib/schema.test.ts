import { describe, expect, it } from 'vitest';
import { schemas } from './schema';
import model from './bindings/schema.json';

describe('the editor’s fields', () => {
	it('are the model’s: the same keys, labels, types and required fields, in the same order (make bindings writes the model’s)', () => {
		const editor = Object.fromEntries(
			Object.entries(schemas).map(([kind, fields]) => [
				kind,
				fields.map((f) => ({ key: f.key, label: f.label, type: f.type, required: f.required ?? false }))
			])
		);
		expect(editor).toEqual(model);
	});
});
