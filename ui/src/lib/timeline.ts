// The Plan's timeline: phases as bars from start to end, milestones as marks at their target,
// today as a line, on one time axis that spans them all. Pure: the component only draws it.
// The model's `timeline` (crates/roadbook-model/src/glance.rs) draws the Program Plan's; this
// copy lets the screen redraw without a round trip, and rules.test.ts checks the two agree on
// the cases the model writes (bindings/rule-cases.json).
import type { Handbook } from './bindings/Handbook';

const DAY = 86_400_000;

function day(text: string): number {
	return Date.parse(`${text}T00:00:00Z`);
}

export interface Bar {
	id: string;
	label: string;
	/** The phase view it belongs to ("Program plan", "Implementation phases"). */
	view: string;
	/** Left edge and width, as fractions of the axis (0 to 1). */
	x: number;
	width: number;
	start: string;
	end: string;
	/** Only one end is set: drawn as a day-wide bar at it, with the other end said to be missing. */
	open: boolean;
	/** Where the phase stood at the baseline (left edge and width), when one is drawn and it was dated. */
	then: { x: number; width: number } | null;
}

export interface Mark {
	id: string;
	label: string;
	x: number;
	target: string;
	/** The bar of its phase, when that phase is on the timeline: the line joins them. */
	phase: string | null;
	/** Past its target and not reached (its status is closed when reached). */
	late: boolean;
	/** Where its target stood at the baseline, when one is drawn and it had one. */
	thenX: number | null;
}

export interface Tick {
	x: number;
	label: string;
}

export interface Timeline {
	bars: Bar[];
	marks: Mark[];
	/** Where today falls, or null when today is off the axis. */
	today: number | null;
	ticks: Tick[];
	/** Phases and milestones without dates: listed so the lead sees what is missing. */
	undated: string[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The timeline of `h` as of `on` (YYYY-MM-DD, the person's day), of one phase view or of all of
 * them: a view's milestones are those of its phases and those of no phase. Empty when nothing
 * is dated, but for what is undated. With `then` (the program as it stood at a baseline), each
 * phase and milestone also says where it stood, and the axis spans both.
 */
export function timeline(h: Handbook, on: string, view: string | null = null, then: Handbook | null = null): Timeline {
	const closed = new Set(h.statuses.filter((s) => !s.open).map((s) => s.id));
	const inView = new Set(h.phases.filter((p) => view === null || p.view === view).map((p) => p.id));
	const phases = h.phases.filter((p) => inView.has(p.id));
	const milestones = h.milestones.filter((m) => !m.phase_id || inView.has(m.phase_id));
	const days: number[] = [];
	for (const p of phases) for (const d of [p.start, p.end]) if (d) days.push(day(d));
	for (const m of milestones) if (m.target) days.push(day(m.target));
	const phaseThen = (id: string) => then?.phases.find((p) => p.id === id);
	const milestoneThen = (id: string) => then?.milestones.find((m) => m.id === id);
	for (const p of phases) for (const d of [phaseThen(p.id)?.start, phaseThen(p.id)?.end]) if (d) days.push(day(d));
	for (const m of milestones) {
		const was = milestoneThen(m.id)?.target;
		if (was) days.push(day(was));
	}
	const undated = [...phases.filter((p) => !p.start && !p.end).map((p) => p.name), ...milestones.filter((m) => !m.target).map((m) => m.name)];
	if (days.length === 0) return { bars: [], marks: [], today: null, ticks: [], undated };
	// The axis: from the first of the month of the earliest date to the end of the latest one's
	// month, and at least a month long.
	const first = new Date(Math.min(...days));
	const last = new Date(Math.max(...days));
	const from = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1);
	const to = Math.max(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1), Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1));
	const at = (t: number) => (t - from) / (to - from);
	const bars: Bar[] = [];
	for (const p of phases) {
		if (!p.start && !p.end) continue;
		const start = p.start ?? p.end ?? '';
		const end = p.end ?? p.start ?? '';
		const was = phaseThen(p.id);
		const wasStart = was?.start ?? was?.end;
		const wasEnd = was?.end ?? was?.start;
		bars.push({
			id: p.id,
			label: p.name,
			view: p.view,
			x: at(day(start)),
			width: Math.max(at(day(end) + DAY) - at(day(start)), 0),
			start,
			end,
			open: !p.start || !p.end,
			then: wasStart && wasEnd ? { x: at(day(wasStart)), width: Math.max(at(day(wasEnd) + DAY) - at(day(wasStart)), 0) } : null
		});
	}
	const onBar = new Set(bars.map((b) => b.id));
	const marks: Mark[] = milestones
		.filter((m) => m.target)
		.map((m) => ({
			id: m.id,
			label: m.name,
			x: at(day(m.target ?? '') + DAY / 2),
			target: m.target ?? '',
			phase: m.phase_id && onBar.has(m.phase_id) ? m.phase_id : null,
			late: (m.target ?? '') < on && !closed.has(m.status_id),
			thenX: milestoneThen(m.id)?.target ? at(day(milestoneThen(m.id)?.target ?? '') + DAY / 2) : null
		}));
	const ticks: Tick[] = [];
	const start = new Date(from);
	for (let month = 0; ; month++) {
		const t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + month, 1);
		if (t >= to) break;
		const d = new Date(t);
		ticks.push({ x: at(t), label: d.getUTCMonth() === 0 || month === 0 ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : (MONTHS[d.getUTCMonth()] ?? '') });
	}
	const now = at(day(on) + DAY / 2);
	return { bars, marks, today: now >= 0 && now <= 1 ? now : null, ticks, undated };
}
