import { describe, expect, it } from 'vitest';
import type { Finding } from './bindings/Finding';
import { checkSummary, findingSubject, groupFindings } from './check';

const finding = (rule: Finding['rule'], label: string, kind: Finding['kind'] = 'risk'): Finding => ({ rule, kind, id: label, label, message: `about ${label}` });

describe('the check panel', () => {
	it('groups findings by rule, what leadership notices first, keeping the check’s order within a group', () => {
		const groups = groupFindings([
			finding('no_owner', 'r1'),
			finding('placeholder_owner', 'o1', 'owner'),
			finding('ask_already_decided', 'ask', 'program'),
			finding('no_owner', 'r2'),
			finding('past_due', 'a1', 'action'),
			finding('not_pushed', 'Builder Insights', 'program'),
			finding('open_conflict', 'd1', 'decision')
		]);
		expect(groups.map((g) => [g.heading, g.findings.map((f) => f.label)])).toEqual([
			['Conflicts still open', ['d1']],
			['Not yet on the team’s server', ['Builder Insights']],
			['Asks of leadership already decided', ['ask']],
			['Past due', ['a1']],
			['Nobody owns it', ['r1', 'r2']],
			['Owner labels still placeholders', ['o1']]
		]);
	});

	it('has a heading for every rule the model has, so no finding is left out', () => {
		const rules: Finding['rule'][] = ['open_conflict', 'change_refused', 'not_pushed', 'ask_already_decided', 'workstream_disagrees', 'decided_without_reason', 'no_owner', 'past_due', 'milestone_missed', 'no_signal', 'placeholder_owner'];
		const all = rules.map((r) => finding(r, r));
		expect(groupFindings(all).flatMap((g) => g.findings)).toHaveLength(rules.length);
	});

	it('says how many things to look at, one or many, and nothing when clean', () => {
		expect(checkSummary([])).toBe('Before you send: nothing to look at.');
		expect(checkSummary([finding('no_owner', 'r')])).toBe('Before you send: 1 thing to look at (none stops you)');
		expect(checkSummary([finding('no_owner', 'r'), finding('past_due', 'a')])).toContain('2 things');
		expect(groupFindings([])).toEqual([]);
	});

	it('names the item in words, not field ids', () => {
		expect(findingSubject(finding('no_signal', 'Support', 'readiness_dimension'))).toBe('readiness dimension ‘Support’');
	});
});
