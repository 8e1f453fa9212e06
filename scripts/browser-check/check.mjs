// Opens the router's GraphiQL in headless Chromium (Debian's) and checks it as a person would:
// the explorer loads, the Authorization header goes in the Headers tab, the run button runs the
// example query, the result pane shows the demo organization; and no request leaves the router.
//
// Environment: ROUTER_URL (http://127.0.0.1:PORT), TOKEN (an access token), EXPECTED_NAME (an
// organization name the token can read), SCREENSHOT (where to keep the PNG), CHROMIUM (binary).
import { chromium } from 'playwright-core';

const routerUrl = new URL(required('ROUTER_URL'));
const token = required('TOKEN');
const expectedName = required('EXPECTED_NAME');
const screenshot = required('SCREENSHOT');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// A hang guard for every wait (not a performance bound).
const WAIT = 60_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const failures = [];
const requests = [];
const consoleErrors = [];

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // Every request of the page and of its workers, and every WebSocket.
  context.on('request', (request) => requests.push(request.url()));
  page = await context.newPage();
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  // Chromium reports CSP violations (and failed loads) in its log, not through the console API.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Log.enable');
  cdp.on('Log.entryAdded', ({ entry }) => {
    if (entry.level === 'error') consoleErrors.push(`${entry.source}: ${entry.text}`);
  });

  const started = Date.now();
  const response = await page.goto(new URL('/graphql', routerUrl).href, { timeout: WAIT });
  if (!response || response.status() !== 200) {
    throw new Error(`GET /graphql answered ${response?.status()}`);
  }
  const csp = response.headers()['content-security-policy'] ?? '';
  if (!csp.includes("default-src 'none'") || !csp.includes("script-src 'self'")) {
    failures.push(`the page has no strict Content-Security-Policy: "${csp}"`);
  }

  // Loaded: the query editor shows the example query (Monaco renders it once its workers run).
  const queryEditor = page.locator('.graphiql-query-editor');
  await queryEditor.locator('.view-lines').filter({ hasText: 'CampaignOverview' }).waitFor({ timeout: WAIT });
  console.log(`explorer loaded in ${Date.now() - started} ms`);

  // The Headers tab: replace the default (a comment telling how to get a token) with ours.
  const headersTab = page.locator('.graphiql-editor-tools').getByRole('button', { name: 'Headers', exact: true });
  await headersTab.click({ timeout: WAIT });
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:visible').last();
  await headersEditor.locator('.view-lines').filter({ hasText: 'Authorization' }).waitFor({ timeout: WAIT });
  await headersEditor.locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // insertText types the whole value at once, so the editor's bracket auto-closing stays out.
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));

  // Run: the request must carry the header from the tab.
  const sent = page.waitForRequest(
    (request) => request.method() === 'POST' && (request.postData() ?? '').includes('CampaignOverview'),
    { timeout: WAIT },
  );
  await page.locator('.graphiql-execute-button').click({ timeout: WAIT });
  const request = await sent;
  const authorization = (await request.allHeaders())['authorization'];
  if (authorization !== `Bearer ${token}`) {
    failures.push(`the query was sent with authorization ${JSON.stringify(authorization)}`);
  }
  const answer = await request.response();
  console.log(`query answered ${answer?.status()}`);

  // The result pane shows the organization (Monaco renders spaces as no-break spaces).
  await page.waitForFunction(
    (name) => {
      const pane = document.querySelector('.result-window');
      return pane && pane.innerText.replace(/\u00a0/g, ' ').includes(name);
    },
    expectedName,
    { timeout: WAIT },
  );
  const result = (await page.locator('.result-window').innerText()).replace(/\u00a0/g, ' ');
  if (result.includes('"errors"')) failures.push(`the result has errors:\n${result}`);
  console.log(`result pane shows "${expectedName}"`);

  await page.screenshot({ path: screenshot });
  console.log(`screenshot: ${screenshot}`);
} catch (error) {
  // What the page showed when it went wrong, to look at.
  await page?.screenshot({ path: screenshot }).catch(() => {});
  console.error(`screenshot of the failure: ${screenshot}`);
  for (const message of consoleErrors) console.error(`console: ${message}`);
  throw error;
} finally {
  await browser.close();
}

// Nothing but the router: no CDN, no font or icon site (data: URLs are not requests).
const foreign = requests.filter((url) => {
  const parsed = new URL(url);
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return false;
  return parsed.host !== routerUrl.host;
});
console.log(`${requests.length} requests, ${foreign.length} to other origins`);
for (const url of foreign) failures.push(`request to another origin: ${url}`);
for (const message of consoleErrors) failures.push(`console: ${message}`);

if (failures.length > 0) {
  console.error(`browser check failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('browser check passed');
