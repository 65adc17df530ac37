import { describe, expect, it } from 'vitest';
import { chipColours, contrast } from './colour';

describe('a chip a person reads', () => {
	it('meets 4.5:1 for every colour of the sample vocabulary and levels, keeping those that do', () => {
		for (const colour of ['#23915A', '#2F8FCF', '#5B6BD5', '#5E6B78', '#8A5CC7', '#C93C3C', '#D98E04', '#8c949e', '#ffffff', '#ffff00', '#000000']) {
			const { background, text } = chipColours(colour);
			expect(contrast(background, text), colour).toBeGreaterThanOrEqual(4.5);
		}
		// A dark colour stays as the lead chose it, with white text.
		expect(chipColours('#5B6BD5')).toEqual({ background: '#5b6bd5', text: '#ffffff' });
		// Yellow reads with dark ink on it, unchanged.
		expect(chipColours('#ffff00')).toEqual({ background: '#ffff00', text: '#1f242e' });
	});

	it('computes contrast as WCAG does', () => {
		expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
		expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
	});

	it('gives a bad colour a readable chip instead of failing', () => {
		expect(chipColours('amber')).toEqual({ background: '#5e6b78', text: '#ffffff' });
	});
});
