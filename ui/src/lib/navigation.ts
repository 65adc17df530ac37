// Where each kind of item is edited, and going there with the item open: the Team sync screen's
// conflicts and the Documents screen's check both link to items this way.
import { goto } from '$app/navigation';
import { resolve } from '$app/paths';
import { app } from './app.svelte';
import type { Kind } from './bindings/Kind';

type Screen = '/decisions' | '/risks' | '/actions' | '/workstreams' | '/plan' | '/reviews' | '/readiness' | '/settings' | '/program';

export const screens: Partial<Record<Kind, Screen>> = {
	decision: '/decisions',
	risk: '/risks',
	action: '/actions',
	workstream: '/workstreams',
	phase: '/plan',
	work_item: '/plan',
	exit_criterion: '/plan',
	milestone: '/plan',
	dependency: '/plan',
	review: '/reviews',
	readiness_dimension: '/readiness',
	readiness_check: '/readiness',
	status: '/settings',
	owner: '/settings',
	program: '/program'
};

/** Goes to the item's register with the item open in its editor. */
export function openItem(kind: Kind, id: string) {
	app.requestOpen = id;
	goto(resolve(screens[kind] ?? '/'));
}

/** Goes to a register showing only the items whose fields hold these values (open ones only
 * when `openOnly`), with `label` saying so, e.g. "High severity, low likelihood". */
export function openFiltered(kind: Kind, where: Record<string, string>, openOnly: boolean, label: string) {
	app.requestFilter = { kind, where, openOnly, label };
	goto(resolve(screens[kind] ?? '/'));
}

/** A heat-map cell: the open risks of that severity and likelihood, in the risk register. */
export function pickRisks(severity: string, likelihood: string) {
	openFiltered('risk', { severity, likelihood }, true, `Open, ${severity} severity, ${likelihood} likelihood`);
}
