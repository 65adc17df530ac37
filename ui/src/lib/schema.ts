// What each kind of item holds, for the one editor that edits them all: the model's table
// (crates/roadbook-model/src/schema.rs), which `make bindings` writes as bindings/schema.json.
// Field keys are the Rust field names (the bindings); labels are the lead's words.
import type { Handbook } from './bindings/Handbook';
import type { Kind } from './bindings/Kind';
import fixed from './bindings/choices.json';
import model from './bindings/schema.json';
import { newItemStatus, uuidv7 } from './logic';

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
	'outputs',
	'otheritem'
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
	const item: Record<string, unknown> = { id: uuidv7() };
	for (const field of schemas[kind]) {
		item[field.key] = emptyValue(field.type);
	}
	if ('status_id' in item && schemas[kind].some((x) => x.key === 'status_id' && x.type === 'status')) {
		item.status_id = newItemStatus(h, kind);
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

/** One choice of a select: the value stored and what a person reads. */
export interface Choice {
	value: string;
	label: string;
}

/** The field types that are one pick from a list: those `choicesOf` answers for. */
export const pickTypes: readonly string[] = ['level', 'readiness', 'ownerkind', 'status', 'optionalstatus', 'owner', 'workstream', 'phase', 'optionalphase', 'dimension', 'decision', 'review'];

/**
 * The choices of a field that is one pick from a list (a level, a status, an owner, a phase…):
 * whether it may be left unset ("—"), and the options; null for any other field. Fixed words
 * come from the model (bindings/choices.json), items from the program.
 */
export function choicesOf(type: string, h: Handbook, item: Record<string, unknown>): { unset: boolean; options: Choice[] } | null {
	const words = (list: string[]) => list.map((w) => ({ value: w, label: w.replace(/_/g, ' ') }));
	const named = <T extends { id: string }>(list: T[], label: (t: T) => string) => list.map((t) => ({ value: t.id, label: label(t) }));
	switch (type) {
		case 'level':
			return { unset: false, options: words(fixed.level) };
		case 'readiness':
			return { unset: false, options: words(fixed.readiness) };
		case 'ownerkind':
			return { unset: false, options: words(fixed.ownerkind) };
		case 'status':
		case 'optionalstatus':
			return { unset: type === 'optionalstatus', options: named(h.statuses, (s) => s.name) };
		case 'owner':
			return { unset: true, options: named(h.owners, (o) => o.short_name || o.name) };
		case 'workstream':
			return { unset: true, options: named(h.workstreams, (w) => w.area) };
		case 'phase':
		case 'optionalphase':
			return { unset: type === 'optionalphase', options: named(h.phases, (p) => `${p.view}: ${p.name}`) };
		case 'dimension':
			return { unset: true, options: named(h.readiness_dimensions, (d) => d.name) };
		case 'decision':
			// A decision does not supersede itself.
			return { unset: true, options: named(h.decisions.filter((d) => d.id !== item.id), (d) => d.title) };
		case 'review':
			return { unset: true, options: named(h.reviews, (r) => r.title) };
		default:
			return null;
	}
}
