import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** A single-page app: Tauri serves the built files, there is no server rendering. */
export default {
	preprocess: vitePreprocess(),
	kit: { adapter: adapter({ pages: 'dist', assets: 'dist', fallback: 'index.html' }) }
};
