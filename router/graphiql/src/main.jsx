// The GraphiQL page of the router. Everything it needs is bundled here and served by the
// router itself (no CDN): the page's Content-Security-Policy allows only the router's origin.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
// Monaco's own CSS comes with its modules; these two are GraphiQL's. The packaged web fonts
// (`graphiql/style.css` inlines 360 kB of them) are left out: system fonts are used.
import '@graphiql/react/style.css';
import 'graphiql/graphiql.css';
import './page.css';

// Hashed worker file names, filled in by build.mjs (the workers are built first), served
// next to this script.
const WORKERS = __WORKERS__;
const ASSET_BASE = new URL('.', document.currentScript?.src ?? location.href);

// Monaco starts its language services in workers; they are served from the router's own
// asset path, which the page's CSP (`worker-src 'self'`) allows.
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const name = WORKERS[label] ?? WORKERS.editor;
    return new Worker(new URL(name, ASSET_BASE));
  },
};

// The router writes the page's settings into a JSON data block (not executed, so the CSP
// needs no inline scripts): the GraphQL path, the default query and the default headers.
const CONFIG = JSON.parse(document.getElementById('graphiql-config')?.textContent ?? '{}');

const endpoint = new URL(CONFIG.endpoint ?? location.pathname, location.href);
const wsEndpoint = new URL(endpoint);
wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

const fetcher = createGraphiQLFetcher({
  url: endpoint.href,
  // Subscriptions over graphql-transport-ws on the same path (the router accepts both).
  wsClient: createClient({ url: wsEndpoint.href, lazy: true }),
});

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={CONFIG.query}
    defaultHeaders={CONFIG.headers}
    defaultEditorToolsVisibility="headers"
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
  />,
);
