import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	clearScreen: false,
	// The fonts come from the report crate (one copy for the app and the documents).
	server: { port: 1420, strictPort: true, fs: { allow: ['.', '../crates/roadbook-report/fonts'] } },
	test: { include: ['src/**/*.test.ts'], environment: 'node' }
});
