// The check panel on the Documents screen: the check's findings (the rules live in the model,
// `roadbook check` runs the same) grouped the way a lead reads them, what leadership would
// notice first at the top.
import type { CheckRule } from './bindings/CheckRule';
import type { Finding } from './bindings/Finding';

/** Each rule's heading: every rule has one (the compiler checks), so no finding is dropped. */
const HEADINGS: Record<CheckRule, string> = {
	open_conflict: 'Conflicts still open',
	change_refused: 'Changes the server refused',
	not_pushed: 'Not yet on the team’s server',
	dependency_broken: 'Dependencies between programs that broke',
	ask_already_decided: 'Asks of leadership already decided',
	workstream_disagrees: 'Workstreams whose status disagrees with their decisions',
	decided_without_reason: 'Decided without outcome or rationale',
	past_due: 'Past due',
	milestone_missed: 'Milestones past their target',
	no_owner: 'Nobody owns it',
	no_signal: 'Readiness without a signal',
	placeholder_owner: 'Owner labels still placeholders'
};

/** The order the panel shows the rules in, as written above: what the team's copy does not
 * agree on first, then what leadership would notice first. */
const ORDER = Object.keys(HEADINGS) as CheckRule[];

export interface FindingGroup {
	rule: CheckRule;
	heading: string;
	findings: Finding[];
}

/** The findings by rule, in the panel's order, each group in the check's order; no empty group. */
export function groupFindings(findings: Finding[]): FindingGroup[] {
	return ORDER.map((rule) => ({ rule, heading: HEADINGS[rule], findings: findings.filter((f) => f.rule === rule) })).filter((g) => g.findings.length > 0);
}

/** The panel's one line: how many things to look at, and that none stops sending. */
export function checkSummary(findings: Finding[]): string {
	const n = findings.length;
	if (n === 0) return 'Before you send: nothing to look at.';
	return `Before you send: ${n} ${n === 1 ? 'thing' : 'things'} to look at (none stops you)`;
}

/** What a finding is about, as the lead says it: "readiness check ‘SSO tested’". */
export function findingSubject(f: Finding): string {
	return `${f.kind.replace(/_/g, ' ')} ‘${f.label}’`;
}
