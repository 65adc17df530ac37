// What each kind of item holds, for the one editor that edits them all: the model's table
// (crates/roadbook-model/src/schema.rs), which `make bindings` writes as bindings/schema.json.
// Field keys are the Rust field names (the bindings); labels are the lead's words.
import type { Handbook } from './bindings/Handbook';
import type { Kind } from './bindings/Kind';
import model from './bindings/schema.json';
import { uuidv7 } from './logic';

/** The kinds of value the editor renders; every type the model's table names is one of them. */
export const fieldTypes = [
	'text',
	'longtext',
	'optionaltext',
	'list',
	'status',
	'optionalstatus',
	'owner',
	'owners',
	'level',
	'date',
	'bool',
	'workstream',
	'phase',
	'optionalphase',
	'decision',
	'decisions',
	'review',
	'risks',
	'dimension',
	'scope',
	'readiness',
	'ownerkind',
	'team',
	'colour',
	'attendees',
	'sections',
	'outputs'
] as const;

export type FieldType = (typeof fieldTypes)[number];

export interface Field {
	key: string;
	label: string;
	type: FieldType;
	required?: boolean;
}

export const schemas = model as Record<Kind, Field[]>;

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
