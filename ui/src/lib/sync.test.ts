import { describe, expect, it } from 'vitest';
import type { ConflictView } from './bindings/ConflictView';
import type { SyncStatus } from './bindings/SyncStatus';
import { ago, answer, changeHeading, choices, fieldName, kindName, readableReason, statusParts } from './sync';

const now = new Date('2026-11-23T10:00:00Z');

function status(over: Partial<SyncStatus>): SyncStatus {
	return {
		program: '01900000-0000-7000-8000-000000000001',
		server: 'https://roadbook.example',
		phase: 'synced',
		synced_at: '2026-11-23T09:56:00Z',
		pending: 0,
		conflicts: 0,
		rejected: 0,
		message: null,
		retry_in: null,
		changed: false,
		...over
	};
}

function conflict(field: string, mine: unknown, theirs: unknown, fields: string[] = [field]): ConflictView {
	return {
		id: '01900000-0000-7000-8000-0000000000c1',
		kind: 'decision',
		item_id: '01900000-0000-7000-8000-0000000000d1',
		item: 'Okta as the identity provider',
		field,
		fields,
		theirs: { value: theirs, author: 'Ann', at: '2026-11-23T09:00:00Z', made_at: '2026-11-23T08:00:00Z' },
		mine: { value: mine, author: 'Ben', at: '2026-11-23T09:05:00Z', made_at: null },
		from_here: true,
		answered: false
	};
}

describe('the status line', () => {
	it('says when the program last synced, and that changes wait when they do', () => {
		expect(statusParts(status({}), now).map((p) => [p.text, p.tone])).toEqual([['Synced 4 min ago', 'ok']]);
		expect(statusParts(status({ pending: 3 }), now)[0]?.text).toBe('3 changes waiting');
		expect(statusParts(status({ phase: 'syncing', pending: 1 }), now)[0]?.text).toBe('Syncing… · 1 change waiting');
	});

	it('says offline with what waits and when it tries again, and leads to the Team sync screen', () => {
		const [part] = statusParts(status({ phase: 'offline', pending: 2, retry_in: 8 }), now);
		expect(part?.text).toBe('Offline · 2 changes waiting');
		expect(part?.tone).toBe('warn');
		expect(part?.detail).toContain('Trying again in 8 s');
		expect(part?.href).toBe('/sync');
	});

	it('puts the worst state first, each a link to settle it, and never all-is-well in green beside a problem', () => {
		const parts = statusParts(status({ conflicts: 1, rejected: 2 }), now);
		expect(parts.map((p) => [p.text, p.href, p.tone])).toEqual([
			['1 conflict', '/sync#conflicts', 'bad'],
			['2 rejected changes', '/sync#rejected', 'bad'],
			['Synced 4 min ago', '/sync', 'quiet']
		]);
		// A sync that cannot run at all comes before what the person settles; offline after it.
		expect(statusParts(status({ phase: 'upgrade_required', conflicts: 2 }), now)[0]?.text).toBe('Update Roadbook to sync');
		expect(statusParts(status({ phase: 'offline', conflicts: 2 }), now).map((p) => p.text)).toEqual(['2 conflicts', 'Offline']);
		expect(statusParts(status({ phase: 'offline', pending: 1 }), now).map((p) => p.tone)).toEqual(['warn']);
		expect(statusParts(status({}), now).map((p) => p.tone)).toEqual(['ok']);
	});

	it('names each state a person can be in, never an internal word', () => {
		const phases: SyncStatus['phase'][] = ['local', 'sign_in_needed', 'server_not_trusted', 'syncing', 'synced', 'offline', 'upgrade_required', 'not_permitted', 'failed'];
		const texts = phases.map((phase) => statusParts(status({ phase, message: 'the server said no' }), now)[0]?.text ?? '');
		expect(texts).toEqual([
			'Only on this computer',
			'Sign in to sync',
			'Confirm the server to sync',
			'Syncing…',
			'Synced 4 min ago',
			'Offline',
			'Update Roadbook to sync',
			'Not permitted to sync',
			'Sync failed'
		]);
		for (const text of texts) expect(text).not.toMatch(/_/);
		// A program on this computer only leads to Settings, where it is connected.
		expect(statusParts(status({ phase: 'local' }), now)[0]?.href).toBe('/settings');
		expect(statusParts(null, now)).toHaveLength(1);
	});

	it('reads times as a person does', () => {
		expect(ago('2026-11-23T09:59:50Z', now)).toBe('just now');
		expect(ago('2026-11-23T07:00:00Z', now)).toBe('3 h ago');
		expect(ago('2026-11-22T10:00:00Z', now)).toBe('1 day ago');
		expect(ago(null, now)).toBe('never');
	});
});

describe('the choices of a conflict', () => {
	it('offers keep mine, keep theirs and a merged text that holds both', () => {
		const c = choices(conflict('title', 'Okta, per Ben', 'Okta, per Ann'));
		expect(c.mine && c.theirs).toBe(true);
		expect(c.merged).toEqual({ kind: 'text', start: 'Okta, per Ann\nOkta, per Ben' });
	});

	it('merges lists as both people’s entries, each once', () => {
		const c = choices(conflict('attendee_ids', ['a', 'b'], ['b', 'c']));
		expect(c.merged).toEqual({ kind: 'list', start: ['b', 'c', 'a'] });
	});

	it('offers no merge where one makes no sense: a status, an owner, a delete against an edit', () => {
		expect(choices(conflict('status_id', 'x', 'y')).merged).toBeNull();
		expect(choices(conflict('owner_id', 'x', 'y')).merged).toBeNull();
		expect(choices(conflict('deleted', { deleted: true }, { deleted: false, changed: 'title' })).merged).toBeNull();
	});

	it('settles a decision whole: the kept choices, both texts where they differ', () => {
		const group = ['status_id', 'outcome', 'rationale', 'decided_by', 'decided_on'];
		const theirs = { status_id: 'decided', outcome: 'Okta', rationale: 'One sign-in', decided_by: 'Ann', decided_on: '2026-11-20' };
		const mine = { status_id: 'blocked', outcome: '', rationale: 'Waiting on security', decided_by: '', decided_on: '2026-11-21' };
		const c = choices(conflict('decided', mine, theirs, group));
		expect(c.merged).toEqual({
			kind: 'group',
			start: { status_id: 'decided', outcome: 'Okta', rationale: 'One sign-in\nWaiting on security', decided_by: 'Ann', decided_on: '2026-11-20' }
		});
		expect(fieldName('decided')).toBe('What was decided');
		// Neither side has a day: the merged decision has none, not an empty text.
		const undated = choices(conflict('decided', { ...mine, decided_on: null }, { ...theirs, decided_on: null }, group));
		expect(undated.merged?.kind === 'group' && undated.merged.start.decided_on).toBeNull();
	});

	it('sends the answer the server takes', () => {
		expect(answer('mine')).toEqual({ keep: 'mine' });
		expect(answer('theirs')).toEqual({ keep: 'theirs' });
		expect(answer({ merged: 'both' })).toEqual({ keep: 'merged', value: 'both' });
	});

	it('names fields in a person’s words', () => {
		expect(fieldName('status_id')).toBe('Status');
		expect(fieldName('linked_risk_ids')).toBe('Linked risks');
		expect(fieldName('title')).toBe('Title');
		// With its kind, the label the model's field table gives (the editor's and the CLI's).
		expect(fieldName('risk_ids', 'decision')).toBe('Linked risks');
		expect(fieldName('statement', 'risk')).toBe('Risk');
		expect(fieldName('not_a_field', 'risk')).toBe('Not a field');
		expect(kindName('work_item')).toBe('Work item');
		expect(kindName('readiness_check')).toBe('Readiness checklist item');
	});
});

describe('a refused change', () => {
	it('reads the server’s reason with names, never ids or field keys', () => {
		const gone = '01a2089c-2856-71dc-ad64-ad4f7326a1de';
		const here = '01a2089c-2856-71dc-ad64-ad4f7326a1df';
		expect(readableReason(`action.owner_id: refers to owner ${gone}, which is not in this program`, {})).toBe('Owner: refers to an owner that is no longer in this program');
		expect(readableReason(`decision.status_id: refers to status ${here}, which is not in this program`, { [here]: 'Blocked' })).toBe(
			'Status: refers to status ‘Blocked’, which is not in this program'
		);
		expect(readableReason(`risk ${gone} is not on the server`, {})).toBe('a risk no longer here is not on the server');
	});

	it('says what the change did', () => {
		expect(changeHeading('created', 'action')).toBe('New action');
		expect(changeHeading('edited', 'exit_criterion')).toBe('Edit of an exit criterion');
		expect(changeHeading('resolved', 'decision')).toBe('Answer to a conflict on a decision');
	});
});
