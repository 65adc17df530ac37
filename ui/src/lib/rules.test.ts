// The app's copies of the model's rules, checked against what the model itself gives on the
// same programs (crates/roadbook-model/src/glance.rs writes bindings/rule-cases.json).
import { describe, expect, it } from 'vitest';
import type { Handbook } from './bindings/Handbook';
import type { Kind } from './bindings/Kind';
import written from './bindings/rule-cases.json';
import { decisionsNeeded, heatMap, newItemStatus, topRisks } from './logic';
import { timeline } from './timeline';

interface Placed {
	x: number;
}

interface RuleCase {
	name: string;
	handbook: unknown;
	/** The program as it stood at a baseline, for the timeline's ghosts; null: none. */
	then: unknown;
	decisionsNeeded: string[];
	topRisks: string[];
	heatMap: number[][];
	newItemStatus: Record<string, string | null>;
	timelines: Array<{
		view: string | null;
		on: string;
		bars: Array<{ id: string; x: number; width: number; open: boolean; then: { x: number; width: number } | null }>;
		marks: Array<{ id: string; x: number; phase: string | null; late: boolean; thenX: number | null }>;
		ticks: Array<{ x: number; label: string }>;
		today: number | null;
		undated: string[];
	}>;
}

const cases = written as RuleCase[];

/** Positions agree to well under a pixel; everything else exactly. */
function expectPlaced<T extends Placed>(got: T[], want: T[]) {
	const unplaced = (p: T) => ({ ...p, x: 0 });
	expect(got.map(unplaced)).toEqual(want.map(unplaced));
	got.forEach((g, i) => expect(g.x).toBeCloseTo(want[i]?.x ?? NaN, 9));
}

describe.each(cases.map((c) => [c.name, c] as const))('the model’s rules on the %s program', (_name, c) => {
	const h = c.handbook as unknown as Handbook;

	it('gives the same decisions still needed, top risks and heat map', () => {
		expect(decisionsNeeded(h).map((d) => d.id)).toEqual(c.decisionsNeeded);
		expect(topRisks(h, 5).map((r) => r.id)).toEqual(c.topRisks);
		expect(heatMap(h)).toEqual(c.heatMap);
	});

	it('starts a new item in the same status', () => {
		for (const [kind, status] of Object.entries(c.newItemStatus)) expect(newItemStatus(h, kind as Kind), kind).toEqual(status);
	});

	it('draws the same timeline for every view and day', () => {
		expect(c.timelines.length).toBeGreaterThan(0);
		for (const want of c.timelines) {
			const got = timeline(h, want.on, want.view, (c.then as Handbook | null) ?? null);
			// Where each stood at the baseline, to well under a pixel (null when it was not dated).
			const ghost = (g: { x: number; width: number } | null) => (g ? [Math.round(g.x * 1e9), Math.round(g.width * 1e9)] : null);
			expectPlaced(
				got.bars.map((b) => ({ id: b.id, x: b.x, width: Math.round(b.width * 1e9), open: b.open, then: ghost(b.then) })),
				want.bars.map((b) => ({ id: b.id, x: b.x, width: Math.round(b.width * 1e9), open: b.open, then: ghost(b.then) }))
			);
			const mark = (m: { thenX: number | null }) => (m.thenX === null ? null : Math.round(m.thenX * 1e9));
			expectPlaced(
				got.marks.map((m) => ({ id: m.id, x: m.x, phase: m.phase, late: m.late, thenX: mark(m) })),
				want.marks.map((m) => ({ ...m, thenX: mark(m) }))
			);
			expectPlaced(got.ticks, want.ticks);
			if (want.today === null) expect(got.today).toBeNull();
			else expect(got.today).toBeCloseTo(want.today, 9);
			expect(got.undated).toEqual(want.undated);
		}
	});
});
