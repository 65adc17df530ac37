// Colours a person reads text on: a status chip keeps the vocabulary's hue, and its text meets
// WCAG AA (4.5:1) at the chip's small size, darkening the hue where neither ink would.

type Rgb = [number, number, number];

function rgb(hex: string): Rgb | null {
	const m = /^#([0-9a-f]{6})$/i.exec(hex.trim());
	if (!m) return null;
	const n = parseInt(m[1] ?? '0', 16);
	return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function hex([r, g, b]: Rgb): string {
	return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance. */
function luminance([r, g, b]: Rgb): number {
	const lin = (c: number) => {
		const s = c / 255;
		return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
	};
	return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two colours. */
export function contrast(a: string, b: string): number {
	const [x, y] = [rgb(a), rgb(b)];
	if (!x || !y) return 1;
	const [l1, l2] = [luminance(x), luminance(y)].sort((p, q) => q - p) as [number, number];
	return (l1 + 0.05) / (l2 + 0.05);
}

const INK = '#1f242e';
const WHITE = '#ffffff';

/** The chip's background and text for a vocabulary colour: the ink that reads better, on the
 * colour itself where that reaches 4.5:1, else on the colour darkened just enough for white. */
export function chipColours(colour: string): { background: string; text: string } {
	const base = rgb(colour);
	if (!base) return { background: '#5e6b78', text: WHITE };
	const background = hex(base);
	const text = contrast(background, INK) >= contrast(background, WHITE) ? INK : WHITE;
	if (contrast(background, text) >= 4.5) return { background, text };
	for (let f = 0.95; f > 0; f -= 0.05) {
		const darker = hex(base.map((c) => c * f) as Rgb);
		if (contrast(darker, WHITE) >= 4.5) return { background: darker, text: WHITE };
	}
	return { background: INK, text: WHITE };
}
