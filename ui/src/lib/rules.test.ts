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
	decisionsNeeded: string[];
	topRisks: string[];
	heatMap: number[][];
	newItemStatus: Record<string, string | null>;
	timelines: Array<{
		view: string | null;
		on: string;
		bars: Array<{ id: string; x: number; width: number; open: boolean }>;
		marks: Array<{ id: string; x: number; phase: string | null; late: boolean }>;
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
			const got = timeline(h, want.on, want.view);
			expectPlaced(
				got.bars.map((b) => ({ id: b.id, x: b.x, width: Math.round(b.width * 1e9), open: b.open })),
				want.bars.map((b) => ({ id: b.id, x: b.x, width: Math.round(b.width * 1e9), open: b.open }))
			);
			expectPlaced(got.marks.map((m) => ({ id: m.id, x: m.x, phase: m.phase, late: m.late })), want.marks);
			expectPlaced(got.ticks, want.ticks);
			if (want.today === null) expect(got.today).toBeNull();
			else expect(got.today).toBeCloseTo(want.today, 9);
			expect(got.undated).toEqual(want.undated);
		}
	});
});
