// A day typed by a person, read the way the command line and import files read it (the model's
// `Date`): YYYY-MM-DD, with the same messages. The cases in bindings/date-cases.json are written
// by the Rust parser (`make bindings`) and Vitest checks this one gives the same answers, so the
// two cannot drift apart.

export type ParsedDay = { day: string } | { error: string };

/** Reads `text` (spaces around it ignored) as a calendar day. */
export function parseDay(text: string): ParsedDay {
	const s = text.trim();
	const format = { error: `'${s}' is not a date: write it as YYYY-MM-DD, for example 2026-03-31` };
	const parts = s.split('-');
	if (parts.length !== 3) return format;
	const [y, m, d] = parts as [string, string, string];
	if (y.length !== 4 || m.length !== 2 || d.length !== 2 || !/^\d+$/.test(y + m + d)) return format;
	const year = Number(y);
	const month = Number(m);
	const day = Number(d);
	if (month < 1 || month > 12) return { error: `'${s}' is not a calendar date: there is no month ${month}` };
	// Day 0 of the next month is the last day of this one (UTC: no daylight-saving edge).
	const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
	if (day < 1 || day > last) return { error: `'${s}' is not a calendar date: month ${month} of ${year} has no day ${day}` };
	return { day: s };
}
