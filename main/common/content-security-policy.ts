/**
 * The one Content-Security-Policy of the renderer, wherever it is served from: Electron's app
 * protocol and session headers, and the loopback bridge. Only the app's own files may run or load;
 * no inline script, no eval, no plugin, no framing, no form posting elsewhere. (The renderer's
 * index.html carries the same policy in a meta tag, for file:// loads without headers.)
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every response of the UI carries besides the policy. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};
