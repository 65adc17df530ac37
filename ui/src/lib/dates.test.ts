import { describe, expect, it } from 'vitest';
import cases from './bindings/date-cases.json';
import { parseDay } from './dates';

describe('a typed day', () => {
	it('reads as the command line reads it, with its messages (cases written by the Rust parser)', () => {
		expect(cases.length).toBeGreaterThan(10);
		for (const c of cases as Array<{ text: string; day?: string; error?: string }>) {
			expect(parseDay(c.text), c.text).toEqual(c.day !== undefined ? { day: c.day } : { error: c.error });
		}
	});

	it('ignores spaces around what was typed', () => {
		expect(parseDay(' 2026-12-15 ')).toEqual({ day: '2026-12-15' });
	});
});
