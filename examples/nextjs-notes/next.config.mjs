import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// Security headers that do not vary per request (the per-region header is set in proxy.js,
// because next.config is read at build time and frozen into the standalone server.js).
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // `node .next/standalone/server.js` with only the traced node_modules: what the sandbox runs
  // and what a Lambda zip (Lambda Web Adapter) would carry.
  output: "standalone",
  // This app lives inside a larger (Python) repository: trace from here, so the standalone
  // tree is .next/standalone/server.js and not nested under the repository's path.
  outputFileTracingRoot: here,
  turbopack: { root: here },
  // No next/image here: skip the image optimizer and leave sharp's native libvips (19 MB of the
  // 42 MB standalone tree) out of the trace.
  images: { unoptimized: true },
  outputFileTracingExcludes: { "*": ["node_modules/@img/**", "node_modules/sharp/**"] },
  poweredByHeader: false,
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
