import { describe, expect, it } from 'vitest';
import type { Handbook } from './bindings/Handbook';
import { timeline } from './timeline';

function plan(phases: Array<{ id: string; start?: string; end?: string }>, milestones: Array<{ id: string; target?: string; phase_id?: string; status_id?: string }>): Handbook {
	return {
		statuses: [
			{ id: 'open', name: 'In progress', open: true },
			{ id: 'done', name: 'Done', open: false }
		],
		phases: phases.map((p) => ({ view: 'Program plan', name: `Phase ${p.id}`, start: null, end: null, ...p })),
		milestones: milestones.map((m) => ({ name: `Milestone ${m.id}`, status_id: 'open', target: null, phase_id: null, ...m }))
	} as unknown as Handbook;
}

describe('the timeline', () => {
	it('spans whole months from the first date to the last, with phases and milestones placed on it', () => {
		const t = timeline(plan([{ id: 'p1', start: '2026-03-02', end: '2026-04-30' }], [{ id: 'm1', target: '2026-05-15', phase_id: 'p1' }]), '2026-04-01');
		// March 1 to June 1: 92 days.
		expect(t.ticks.map((k) => k.label)).toEqual(['Mar 2026', 'Apr', 'May']);
		const bar = t.bars[0]!;
		expect(bar.x).toBeCloseTo(1 / 92);
		expect(bar.width).toBeCloseTo(60 / 92);
		expect(t.marks[0]).toMatchObject({ id: 'm1', phase: 'p1', late: false });
		expect(t.marks[0]!.x).toBeCloseTo(75.5 / 92);
		expect(t.today).toBeCloseTo(31.5 / 92);
	});

	it('marks a milestone past its target and not reached, not one reached', () => {
		const t = timeline(plan([], [{ id: 'late', target: '2026-05-01' }, { id: 'reached', target: '2026-05-01', status_id: 'done' }]), '2026-05-02');
		expect(t.marks.map((m) => [m.id, m.late])).toEqual([
			['late', true],
			['reached', false]
		]);
	});

	it('lists what has no dates, draws a phase with one end as open, and leaves today off an axis that ends before it', () => {
		const t = timeline(plan([{ id: 'p1', start: '2026-01-05' }, { id: 'p2' }], [{ id: 'm1' }]), '2027-01-01');
		expect(t.undated).toEqual(['Phase p2', 'Milestone m1']);
		expect(t.bars[0]).toMatchObject({ open: true, start: '2026-01-05', end: '2026-01-05' });
		expect(t.today).toBeNull();
	});

	it('is empty when nothing is dated', () => {
		const t = timeline(plan([{ id: 'p1' }], []), '2026-01-01');
		expect(t.bars).toEqual([]);
		expect(t.ticks).toEqual([]);
	});
});
