// Time until the first page is hydrated, in Debian's Chromium with the network throttled
// through the DevTools protocol (issue 13). http-bench runs it against its release server:
//   node end2end/bench/hydrate.mjs http://127.0.0.1:3210
// For each network profile, `runs` times: a fresh browser context (nothing cached) opens
// the first page and waits until the client has hydrated it (the app sets
// `body[data-hydrated=true]`); then the same context opens it again (the hashed client
// files come from the cache). Times are from the navigation's start, medians of the runs.
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3210';
const path = process.env.HYDRATE_PATH ?? '/signin';
const runs = Number(process.env.HYDRATE_RUNS ?? 3);
const GOAL_MS = 2500;
const profiles = [
  // The goal: the "good" LCP threshold of Web Vitals on a slow mobile link.
  { name: '1.6 Mbps / 150 ms', down: 1.6e6 / 8, up: 750e3 / 8, latency: 150, goal: true },
  { name: '10 Mbps / 40 ms', down: 10e6 / 8, up: 5e6 / 8, latency: 40, goal: false },
];

// Records, in the page's own clock (0 = the navigation's start), when hydration finished.
const marker = () => {
  const seen = () => {
    if (document.body && document.body.dataset.hydrated === 'true' && !window.__hydratedAt) {
      window.__hydratedAt = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, {
    attributes: true,
    subtree: true,
    attributeFilter: ['data-hydrated'],
  });
};

async function visit(context, page, throttle) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: throttle.latency,
    downloadThroughput: throttle.down,
    uploadThroughput: throttle.up,
  });
  await page.goto(base + path, { waitUntil: 'commit', timeout: 120_000 });
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 120_000 });
  const figures = await page.evaluate(() => {
    const wasm = performance
      .getEntriesByType('resource')
      .find((e) => new URL(e.name).pathname.endsWith('.wasm'));
    return {
      hydrated: window.__hydratedAt,
      wasmEnd: wasm ? wasm.responseEnd : null,
      wasmSent: wasm ? wasm.transferSize : null,
    };
  });
  await cdp.detach();
  if (typeof figures.hydrated !== 'number') throw new Error('hydration was not observed');
  return figures;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
});
let failed = false;
try {
  console.log(`Time until ${path} is hydrated, Chromium throttled by DevTools, median of ${runs}:`);
  for (const p of profiles) {
    const cold = [];
    const warm = [];
    const wasmEnd = [];
    let sent = null;
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      await context.addInitScript(marker);
      const page = await context.newPage();
      const first = await visit(context, page, p);
      cold.push(first.hydrated);
      if (first.wasmEnd !== null) wasmEnd.push(first.wasmEnd);
      sent = first.wasmSent;
      const again = await visit(context, page, p);
      warm.push(again.hydrated);
      await context.close();
    }
    const c = median(cold);
    const goal = p.goal ? `  (goal: ≤ ${GOAL_MS / 1000} s on a first visit${c <= GOAL_MS ? ': met' : ': not met'})` : '';
    console.log(
      `  ${p.name.padEnd(18)} first visit ${(c / 1000).toFixed(2)} s ` +
        `(the WASM, ${sent ?? '?'} B sent, had arrived at ${(median(wasmEnd) / 1000).toFixed(2)} s); ` +
        `next visit ${(median(warm) / 1000).toFixed(2)} s${goal}`,
    );
  }
} catch (e) {
  console.error(`hydrate bench failed: ${e}`);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
