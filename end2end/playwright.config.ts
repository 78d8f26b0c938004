import { defineConfig } from '@playwright/test';

// The suite runs against a release build on its own port with its own database
// (the Makefile's e2e target makes both). Specs run twice: hydrated, and with
// JavaScript off, except where a spec says it needs the hydrated app.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    { name: 'nojs', use: { javaScriptEnabled: false }, grepInvert: /@js-only/ },
  ],
  webServer: {
    command: process.env.GATEHOUSE_BIN ?? '../target/release/gatehouse',
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
      APP_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: baseURL,
      DEMO_DATA: '1',
      SMTP_URL: '',
      // The tests read mail in the development mail viewer (loopback only).
      GATEHOUSE_DEV: '1',
      // Every test signs people up from 127.0.0.1 into one database.
      PER_CLIENT_PER_HOUR: '100000',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      RUST_LOG: 'warn',
      // A fixed key for the throwaway e2e database only.
      SECRET_KEYS: 'e2e:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
    },
  },
});
