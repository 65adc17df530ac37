// A desktop app: rendered in the webview only, never on a server.
export const ssr = false;
export const prerender = false;
