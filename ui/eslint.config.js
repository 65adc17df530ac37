// The UI's lint: JavaScript and TypeScript recommended rules, Svelte's, and type-aware
// TypeScript in .svelte files. `npm run lint` (make test runs it).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{ languageOptions: { globals: { ...globals.browser, ...globals.node } } },
	{
		files: ['**/*.svelte', '**/*.svelte.ts'],
		languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } }
	},
	{ ignores: ['dist/', '.svelte-kit/', 'node_modules/', 'src/lib/bindings/'] }
);
