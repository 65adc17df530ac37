// What each kind of item holds, for the one editor that edits them all. Field keys are the Rust
// field names (the bindings); labels are the lead's words.
import type { Handbook } from './bindings/Handbook';
import type { Kind } from './bindings/Kind';
import { uuidv7 } from './logic';

export type FieldType =
	| 'text'
	| 'longtext'
	| 'optionaltext'
	| 'list'
	| 'status'
	| 'optionalstatus'
	| 'owner'
	| 'owners'
	| 'level'
	| 'date'
	| 'bool'
	| 'workstream'
	| 'phase'
	| 'optionalphase'
	| 'decision'
	| 'decisions'
	| 'review'
	| 'risks'
	| 'dimension'
	| 'scope'
	| 'readiness'
	| 'ownerkind'
	| 'team'
	| 'colour'
	| 'attendees'
	| 'sections'
	| 'outputs';

export interface Field {
	key: string;
	label: string;
	type: FieldType;
	required?: boolean;
}

const f = (key: string, label: string, type: FieldType, required = false): Field => ({ key, label, type, required });

export const schemas: Record<Kind, Field[]> = {
	program: [
		f('name', 'Program', 'text', true),
		f('summary', 'Summary', 'longtext'),
		f('objective', 'Objective', 'list'),
		f('problem', 'Problem', 'longtext'),
		f('proposal', 'Proposal', 'sections'),
		f('scope', 'In scope', 'list'),
		f('non_goals', 'Non-goals', 'list'),
		f('success_criteria', 'Success criteria', 'sections'),
		f('cadence', 'Operating cadence', 'list'),
		f('asks', 'Asks of leadership', 'list'),
		f('phase_model', 'Phase model (what current, next and later work is for)', 'list'),
		f('references', 'References', 'list')
	],
	decision: [
		f('title', 'Decision', 'text', true),
		f('question', 'Question it answers', 'longtext'),
		f('needed_from', 'Needed from', 'owners'),
		f('workstream_id', 'Workstream', 'workstream'),
		f('status_id', 'Status', 'status', true),
		f('due', 'Due', 'date'),
		f('options', 'Options', 'list'),
		f('outcome', 'Outcome', 'longtext'),
		f('rationale', 'Rationale', 'longtext'),
		f('decided_by', 'Decided by', 'text'),
		f('decided_on', 'Decided on', 'date'),
		f('risk_ids', 'Linked risks', 'risks'),
		f('superseded_by', 'Superseded by', 'decision')
	],
	risk: [
		f('statement', 'Risk', 'longtext', true),
		f('scope', 'Where it applies', 'scope'),
		f('severity', 'Severity', 'level', true),
		f('likelihood', 'Likelihood', 'level', true),
		f('owner_id', 'Owner', 'owner'),
		f('status_id', 'Status', 'status', true),
		f('mitigation', 'Mitigation', 'longtext'),
		f('source', 'Source', 'text')
	],
	workstream: [
		f('area', 'Area', 'text', true),
		f('current_state', 'Current state', 'longtext'),
		f('owner_ids', 'Owners', 'owners'),
		f('status_id', 'Status', 'status', true),
		f('risk_level', 'Risk', 'level', true),
		f('main_blocker', 'Main blocker', 'longtext'),
		f('summary', 'Snapshot', 'longtext')
	],
	action: [
		f('text', 'Action', 'longtext', true),
		f('owner_id', 'Owner', 'owner'),
		f('due', 'Due', 'date'),
		f('status_id', 'Status', 'status', true),
		f('source', 'Source', 'text'),
		f('decision_id', 'Decision it serves', 'decision'),
		f('review_id', 'From review', 'review'),
		f('workstream_id', 'Workstream', 'workstream')
	],
	milestone: [
		f('name', 'Milestone', 'text', true),
		f('marks', 'Reached when', 'longtext'),
		f('target', 'Target date', 'date'),
		f('status_id', 'Status', 'status', true),
		f('phase_id', 'Phase', 'optionalphase')
	],
	phase: [
		f('view', 'Phase view', 'text', true),
		f('name', 'Phase', 'text', true),
		f('goal', 'Goal', 'longtext'),
		f('status_id', 'Status', 'optionalstatus'),
		f('start', 'Starts', 'date'),
		f('end', 'Ends', 'date')
	],
	work_item: [f('phase_id', 'Phase', 'phase', true), f('text', 'Work item', 'text', true), f('done', 'Done', 'bool')],
	exit_criterion: [
		f('phase_id', 'Phase', 'phase', true),
		f('text', 'Exit criterion', 'text', true),
		f('met', 'Met', 'bool'),
		f('evidence', 'Evidence', 'longtext')
	],
	readiness_dimension: [
		f('name', 'Dimension', 'text', true),
		f('signal', 'Current signal', 'longtext'),
		f('state', 'State', 'readiness', true),
		f('owner_id', 'Owner', 'owner')
	],
	readiness_check: [
		f('text', 'Checklist item', 'text', true),
		f('dimension_id', 'Dimension', 'dimension'),
		f('owner_id', 'Owner', 'owner'),
		f('done', 'Done', 'bool'),
		f('evidence', 'Evidence', 'longtext')
	],
	review: [
		f('title', 'Review', 'text', true),
		f('purpose', 'Purpose', 'longtext'),
		f('date', 'Date', 'date'),
		f('status_id', 'Status', 'status', true),
		f('best_use', 'Best use', 'list'),
		f('attendees', 'Attendees', 'attendees'),
		f('core_group_note', 'Why the core group', 'longtext'),
		f('specialists_note', 'When to add specialists', 'longtext'),
		f('flow', 'Meeting flow', 'sections'),
		f('decision_ids', 'Decisions to aim for', 'decisions'),
		f('pre_reads', 'Pre-reads', 'list'),
		f('outputs', 'Expected outputs', 'outputs')
	],
	status: [
		f('name', 'Status', 'text', true),
		f('meaning', 'Meaning', 'longtext'),
		f('colour', 'Colour', 'colour', true),
		f('open', 'Still needs work (open)', 'bool')
	],
	owner: [
		f('name', 'Owner label', 'text', true),
		f('short_name', 'Short name', 'optionaltext'),
		f('kind', 'Kind', 'ownerkind', true),
		f('team_id', 'Team (for a person)', 'team')
	],
	dependency: [
		f('dependent', 'What depends', 'text', true),
		f('depends_on', 'Depends on', 'text', true),
		f('why_it_matters', 'Why it matters', 'longtext'),
		f('workstream_id', 'Workstream', 'workstream'),
		f('source', 'Source', 'text')
	]
};

/** A new item of `kind` with the defaults a lead would pick. */
export function blank(kind: Exclude<Kind, 'program'>, h: Handbook): Record<string, unknown> {
	const openStatus = h.statuses.find((s) => s.open)?.id ?? h.statuses[0]?.id ?? null;
	const needsDecision = h.statuses.find((s) => s.name.toLowerCase() === 'needs decision')?.id ?? openStatus;
	const item: Record<string, unknown> = { id: uuidv7() };
	for (const field of schemas[kind]) {
		item[field.key] = emptyValue(field.type);
	}
	if ('status_id' in item && schemas[kind].some((x) => x.key === 'status_id' && x.type === 'status')) {
		item.status_id = kind === 'decision' ? needsDecision : openStatus;
	}
	if (kind === 'risk') item.scope = { kind: 'program' };
	if (kind === 'status') item.colour = '#5B6BD5';
	if (kind === 'status') item.open = true;
	if (kind === 'owner') item.kind = 'team';
	if (kind === 'readiness_dimension') item.state = 'not_ready';
	if (kind === 'work_item' || kind === 'exit_criterion') item.phase_id = h.phases[0]?.id ?? null;
	return item;
}

function emptyValue(type: FieldType): unknown {
	switch (type) {
		case 'list':
		case 'owners':
		case 'decisions':
		case 'risks':
		case 'attendees':
		case 'sections':
		case 'outputs':
			return [];
		case 'bool':
			return false;
		case 'level':
			return 'medium';
		case 'text':
		case 'longtext':
			return '';
		default:
			return null;
	}
}

/** The item's text for search, in lower case (what `query` matches the search against). */
export function searchText(item: Record<string, unknown>): string {
	return Object.values(item)
		.filter((v) => typeof v === 'string')
		.join(' ')
		.toLowerCase();
}
