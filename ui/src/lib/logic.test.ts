import { describe, expect, it } from 'vitest';
import dueCases from './bindings/due-cases.json';
import type { Handbook } from './bindings/Handbook';
import { addDays, canvasSize, changeOf, changedBy, changedFields, changesNothing, dueState, readable, today, changedSince, reloadPlan, heatMap, labels, fitColumns, moveTarget, ownersOf, query, sameValue, siblings, topRisks, uuidv7, windowOf } from './logic';
import { searchText } from './schema';

const open = '01900000-0000-7000-8000-000000000001';
const closed = '01900000-0000-7000-8000-000000000002';

function risk(id: string, severity: 'low' | 'medium' | 'high', likelihood: 'low' | 'medium' | 'high', status = open) {
	return {
		id,
		statement: `risk ${id}`,
		scope: { kind: 'program' as const },
		severity,
		likelihood,
		owner_id: null,
		status_id: status,
		mitigation: '',
		source: ''
	};
}

const handbook = {
	statuses: [
		{ id: open, name: 'Needs decision', meaning: '', colour: '#D98E04', open: true },
		{ id: closed, name: 'Done', meaning: '', colour: '#5E6B78', open: false }
	],
	owners: [],
	risks: [risk('a', 'high', 'low'), risk('b', 'high', 'high'), risk('c', 'low', 'medium'), risk('d', 'high', 'high', closed)]
} as unknown as Handbook;

describe('uuidv7', () => {
	it('is a version 7 UUID that sorts by time', () => {
		const a = uuidv7(1_700_000_000_000);
		const b = uuidv7(1_700_000_000_001);
		expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(a < b).toBe(true);
	});
});

describe('heatMap', () => {
	it('counts open risks by severity and likelihood', () => {
		expect(heatMap(handbook)).toEqual([
			[1, 0, 1],
			[0, 0, 0],
			[0, 1, 0]
		]);
	});
	it('moves a risk when its severity changes', () => {
		const moved = { ...handbook, risks: handbook.risks.map((r) => (r.id === 'a' ? { ...r, severity: 'medium' as const } : r)) };
		expect(heatMap(moved)[0]).toEqual([0, 0, 1]);
		expect(heatMap(moved)[1]).toEqual([1, 0, 0]);
	});
});

describe('topRisks', () => {
	it('puts the most serious open risks first and leaves closed ones out', () => {
		expect(topRisks(handbook, 2).map((r) => r.id)).toEqual(['b', 'a']);
	});
});

describe('query', () => {
	const items = [
		{ id: '1', title: 'Okta path', status_id: open },
		{ id: '2', title: 'Org source', status_id: closed },
		{ id: '3', title: 'Kanopy boundary', status_id: open }
	];
	it('filters by status and search, and sorts', () => {
		const text = (i: { title: string }) => i.title.toLowerCase();
		expect(query(items, { search: '', status: open, sort: 'title', descending: false }, text).map((i) => i.id)).toEqual(['3', '1']);
		expect(query(items, { search: 'ORG', status: '', sort: '', descending: false }, text).map((i) => i.id)).toEqual(['2']);
		expect(query(items, { search: '', status: '', sort: 'title', descending: true }, text).map((i) => i.id)).toEqual(['2', '1', '3']);
	});

	it('narrows to a heat-map cell, an owner and open items', () => {
		const risks = [
			{ id: 'r1', severity: 'high', likelihood: 'low', owner_id: 'o1', status_id: 'open' },
			{ id: 'r2', severity: 'high', likelihood: 'low', owner_id: 'o2', status_id: 'done' },
			{ id: 'r3', severity: 'low', likelihood: 'low', owner_id: 'o1', status_id: 'open' }
		];
		const base = { search: '', status: '', sort: '', descending: false };
		const isOpen = (s: string) => s === 'open';
		const ids = (q: object) => query(risks, { ...base, ...q }, () => '', isOpen).map((r) => r.id);
		expect(ids({ where: { severity: 'high', likelihood: 'low' } })).toEqual(['r1', 'r2']);
		expect(ids({ where: { severity: 'high', likelihood: 'low' }, openOnly: true })).toEqual(['r1']);
		expect(ids({ owner: 'o1' })).toEqual(['r1', 'r3']);
		expect(ids({ owner: 'o9' })).toEqual([]);
		// Owners named in lists count too (a decision's "needed from", a workstream's owners).
		expect(ownersOf({ needed_from: ['o1', 'o2'], owner_id: null })).toEqual(['o1', 'o2']);
	});
});

describe('windowOf', () => {
	it('renders only the rows in view of a long list', () => {
		const w = windowOf(5000, 32, 3200, 640, 8);
		expect(w.first).toBe(92);
		expect(w.last).toBe(128);
		expect(w.before + (w.last - w.first) * 32 + w.after).toBe(5000 * 32);
	});
	it('stays within the list at the ends', () => {
		expect(windowOf(10, 32, 0, 640).last).toBe(10);
		expect(windowOf(0, 32, 500, 640)).toEqual({ first: 0, last: 0, before: 0, after: 0 });
	});
});

describe('labels', () => {
	it('names every item by its title, name, area, statement or text', () => {
		const h = { ...handbook, program: { id: 'p', name: 'Builder Insights' }, workstreams: [{ id: 'w', area: 'Kanopy hosting' }] } as unknown as Handbook;
		const names = labels(h);
		expect(names['p']).toBe('Builder Insights');
		expect(names['w']).toBe('Kanopy hosting');
		expect(names['a']).toBe('risk a');
		expect(names[open]).toBe('Needs decision');
	});
});

describe('canvasSize', () => {
	it('draws at the screen density and shows at the page size', () => {
		const hidpi = canvasSize(795.6, 1029.6, 2);
		expect([hidpi.pixelWidth, hidpi.pixelHeight, hidpi.cssWidth]).toEqual([1591, 2059, '795px']);
		const plain = canvasSize(795.6, 1029.6, 1);
		expect([plain.pixelWidth, plain.pixelHeight, plain.cssWidth]).toEqual([795, 1029, '795px']);
	});
	it('treats a missing or odd ratio as 1', () => {
		expect(canvasSize(100, 200, Number.NaN).density).toBe(1);
		expect(canvasSize(100, 200, 0).pixelWidth).toBe(100);
	});
});

describe('moving an item in its list', () => {
	const ids = ['a', 'b', 'c', 'd'];
	it('goes before the item above when moving up, and stops at the top', () => {
		expect(moveTarget(ids, 'c', -1)).toBe('b');
		expect(moveTarget(ids, 'a', -1)).toBeUndefined();
	});
	it('goes before the item two below when moving down, to the end from next to last, and stops at the bottom', () => {
		expect(moveTarget(ids, 'a', 1)).toBe('c');
		expect(moveTarget(ids, 'c', 1)).toBeNull();
		expect(moveTarget(ids, 'd', 1)).toBeUndefined();
		expect(moveTarget(ids, 'x', 1)).toBeUndefined();
	});
	it("moves work items among their own phase's items", () => {
		const h = {
			...handbook,
			work_items: [
				{ id: 'w1', phase_id: 'p1' },
				{ id: 'w2', phase_id: 'p2' },
				{ id: 'w3', phase_id: 'p1' }
			]
		} as unknown as Handbook;
		expect(siblings(h, 'work_item', { id: 'w3', phase_id: 'p1' })).toEqual(['w1', 'w3']);
		expect(siblings(h, 'work_item', { id: 'w2', phase_id: 'p2' })).toEqual(['w2']);
	});
});

describe('changeOf', () => {
	const show = (v: unknown) => (v === null ? '—' : `<${String(v)}>`);
	it('reads a move as one, without the position numbers', () => {
		expect(changeOf({ field: 'position', old_value: 3, new_value: 1.5 }, show)).toEqual({
			field: 'Order',
			was: '—',
			now: 'moved in its list',
			line: 'moved in its list'
		});
	});
	it('names the field in the lead’s words and shows both values through the caller’s labels', () => {
		expect(changeOf({ field: 'status_id', old_value: 'a', new_value: null }, show)).toEqual({
			field: 'Status',
			was: '<a>',
			now: '—',
			line: 'Status: <a> → —'
		});
	});
	it('reads a list change as the entries added and removed', () => {
		const names = { o1: 'Product', o2: 'Security', o3: 'Platform' };
		const c = changeOf({ field: 'needed_from', old_value: ['o1', 'o2'], new_value: ['o2', 'o3'] }, (v) => readable(v, names));
		expect(c).toEqual({ field: 'Needed from', was: 'removed Product', now: 'added Platform', line: 'Needed from: added Platform; removed Product' });
		expect(changeOf({ field: 'risk_ids', old_value: null, new_value: ['o1'] }, (v) => readable(v, names)).line).toBe('Risks: added Product');
		expect(changeOf({ field: 'risk_ids', old_value: ['o1', 'o2'], new_value: ['o2', 'o1'] }, show).line).toBe('Risks: reordered');
	});
});

describe('readable history', () => {
	const names = { '01a24253-bc6a-7086-bd7c-903910a6a484': 'Okta SSO path' };
	it('shows names for ids, words for stored words and never a raw id', () => {
		expect(readable('01a24253-bc6a-7086-bd7c-903910a6a484', names)).toBe('Okta SSO path');
		expect(readable('01a24253-0000-7086-bd7c-903910a6a484', names)).toBe('a deleted item');
		expect(readable('not_ready', names)).toBe('not ready');
		expect(readable('Okta_SSO plan', names)).toBe('Okta_SSO plan');
		expect(readable(['01a24253-bc6a-7086-bd7c-903910a6a484'], names)).toBe('Okta SSO path');
		expect(readable({ kind: 'workstream', id: '01a24253-bc6a-7086-bd7c-903910a6a484' }, names)).toBe('workstream Okta SSO path');
		expect(readable(null, names)).toBe('—');
		expect(readable(true, names)).toBe('yes');
	});
	it('leaves out rows that changed nothing a person can see', () => {
		expect(changesNothing({ field: 'due', old_value: null, new_value: null })).toBe(true);
		expect(changesNothing({ field: 'owner_ids', old_value: [], new_value: [] })).toBe(true);
		expect(changesNothing({ field: 'notes', old_value: null, new_value: '' })).toBe(true);
		expect(changesNothing({ field: 'notes', old_value: 'a', new_value: 'a' })).toBe(true);
		expect(changesNothing({ field: 'notes', old_value: '', new_value: 'b' })).toBe(false);
		expect(changesNothing({ field: 'title', old_value: null, new_value: 'New' })).toBe(false);
	});
});

describe('searchText', () => {
	it('joins an item’s text fields in lower case, for query to match without lower-casing again', () => {
		const text = searchText({ id: 'x', title: 'Okta SSO Path', owner_ids: ['o'], due: null, position: 3 });
		expect(text).toBe('x okta sso path');
		const items = [{ id: '1', title: 'Okta SSO Path' }];
		expect(query(items, { search: 'SSO', status: '', sort: '', descending: false }, searchText)).toEqual(items);
	});
});

describe('changedFields', () => {
	it('names the fields an edit changed, by value, never the id', () => {
		const before = { id: 'd1', title: 'Okta', needed_from: ['a', 'b'], scope: { kind: 'program' }, due: null };
		const after = { id: 'd2', title: 'Okta', needed_from: ['a', 'b', 'c'], scope: { kind: 'program' }, due: '2026-12-01' };
		expect(changedFields(before, after)).toEqual(['needed_from', 'due']);
	});

	it('treats the same object with its keys in another order as unchanged', () => {
		expect(changedFields({ scope: { kind: 'workstream', workstream_id: 'w' } }, { scope: { workstream_id: 'w', kind: 'workstream' } })).toEqual([]);
		expect(sameValue([1, { a: 2 }], [1, { a: 3 }])).toBe(false);
	});
});

describe('an open editor after a teammate changed its item', () => {
	it('finds the fields whose revision moved since it opened', () => {
		expect(changedSince({ title: 3, status_id: 4 }, { title: 3, status_id: 9, owner_id: 2 })).toEqual(['status_id', 'owner_id']);
		expect(changedSince({ title: 3 }, { title: 3 })).toEqual([]);
	});

	it('names who changed which fields since it opened, newest first, and only those', () => {
		const entry = (field: string, revision: number, author: string, changed_at: string) =>
			({ field, revision, author, changed_at, item_id: 'd', item_kind: 'decision', program_id: 'p', old_value: 'a', new_value: 'b' }) as never;
		const history = [
			entry('outcome', 2, 'Dana Ortiz', '2026-12-07T10:40:00Z'),
			entry('status_id', 5, 'Dana Ortiz', '2026-12-07T10:42:00Z'),
			entry('title', 3, 'Sam Lee', '2026-12-07T10:45:00Z'),
			// Seen already when the editor opened, and a field that did not change meanwhile.
			entry('status_id', 4, 'Priya Raman', '2026-12-07T09:00:00Z'),
			entry('rationale', 7, 'Sam Lee', '2026-12-07T11:00:00Z')
		];
		expect(changedBy(history, ['outcome', 'status_id', 'title'], { outcome: 1, status_id: 4, title: 2 })).toEqual([
			{ author: 'Sam Lee', at: '2026-12-07T10:45:00Z', fields: ['title'] },
			{ author: 'Dana Ortiz', at: '2026-12-07T10:42:00Z', fields: ['outcome', 'status_id'] }
		]);
		expect(changedBy(history, [], {})).toEqual([]);
	});

	it('takes the new value where the person has not typed, and makes a clash where they have', () => {
		const original = { title: 'Okta', status_id: 's1', context: 'old' };
		const draft = { title: 'Okta first', status_id: 's1', context: 'old' };
		expect(reloadPlan(['title', 'status_id'], draft, original)).toEqual({ take: ['status_id'], clash: ['title'] });
	});
});

describe('dates', () => {
	it('takes the person’s own day, whatever the clock’s time zone', () => {
		const late = new Date('2026-12-05T02:00:00Z');
		expect(today(late, 'America/Los_Angeles')).toBe('2026-12-04');
		expect(today(late, 'Asia/Tokyo')).toBe('2026-12-05');
		expect(today(late, 'UTC')).toBe('2026-12-05');
	});
	it('counts days by the calendar, across months and years', () => {
		expect(addDays('2026-12-29', 6)).toBe('2027-01-04');
		expect(addDays('2028-02-27', 2)).toBe('2028-02-29');
	});
	it('marks open items overdue or due this week, and nothing closed or undated', () => {
		const on = '2026-12-04';
		expect(dueState('2026-11-27', true, on)).toBe('overdue');
		expect(dueState('2026-12-03', true, on)).toBe('overdue');
		expect(dueState('2026-12-04', true, on)).toBe('this_week');
		expect(dueState('2026-12-10', true, on)).toBe('this_week');
		expect(dueState('2026-12-11', true, on)).toBe(null);
		expect(dueState('2026-11-27', false, on)).toBe(null);
		expect(dueState(null, true, on)).toBe(null);
	});
	it('sorts undated items last, in either direction', () => {
		const items: Array<{ id: string; due: string | null; status_id?: string }> = [
			{ id: 'a', due: null },
			{ id: 'b', due: '2026-12-10' },
			{ id: 'c', due: '2026-12-01' }
		];
		const up = query(items, { search: '', status: '', sort: 'due', descending: false }, () => '');
		expect(up.map((i) => i.id)).toEqual(['c', 'b', 'a']);
		const down = query(items, { search: '', status: '', sort: 'due', descending: true }, () => '');
		expect(down.map((i) => i.id)).toEqual(['b', 'c', 'a']);
	});
});

describe('register columns', () => {
	const risks = [{ width: '3fr' }, { width: '90px', optional: true }, { width: '90px', optional: true }, { width: '1fr' }, { width: '140px' }];
	it('keep every column where they fit, flexible ones as minmax', () => {
		expect(fitColumns(risks, 2000)).toEqual({ kept: [0, 1, 2, 3, 4], template: 'minmax(170px, 3fr) 90px 90px minmax(110px, 1fr) 140px' });
	});
	it('drop optional columns first, from the right, then others, never the first', () => {
		// 170 + 90 + 90 + 110 + 140 = 600; without one level column 510.
		expect(fitColumns(risks, 550).kept).toEqual([0, 1, 3, 4]);
		expect(fitColumns(risks, 430).kept).toEqual([0, 3, 4]);
		expect(fitColumns(risks, 300).kept).toEqual([0, 3]);
		expect(fitColumns(risks, 10).kept).toEqual([0]);
	});
});

describe('where a date stands (cases written by the model)', () => {
	it('is overdue and due this week on the same days as the Rust side says', () => {
		expect(dueCases.length).toBeGreaterThan(10);
		for (const c of dueCases as Array<{ due: string | null; open: boolean; today: string; state: string | null }>) {
			expect(dueState(c.due, c.open, c.today), JSON.stringify(c)).toBe(c.state);
		}
	});
});
