// SPDX-License-Identifier: MIT
// Headless Debian chromium driven by playwright-core (no downloaded
// browsers): a fresh profile per run, loopback only, and small helpers to
// wait for what a page shows.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from '../lib/server.mjs';

export const CHROMIUM = process.env.T4_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'build', 'test-artifacts');
export const TIMEOUT = 10000;

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // loopback only: every other host name fails to resolve, and no proxy
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--proxy-server=direct://',
  '--proxy-bypass-list=*',
];

// A browser with a fresh --user-data-dir (removed by close()). Every page
// records its dialogs (dismissed at once) and uncaught page errors.
export async function launch(extraArgs = []) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(path.join(os.tmpdir(), 't4-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...extraArgs],
    viewport: { width: 900, height: 700 },
    timeout: 30000,
  });
  for (const p of context.pages()) await p.close();
  return {
    context,
    async page(url) {
      const page = await context.newPage();
      page.dialogs = [];
      page.errors = [];
      page.on('dialog', (d) => {
        page.dialogs.push(`${d.type()}: ${d.message()}`);
        d.dismiss().catch(() => {});
      });
      page.on('pageerror', (e) => page.errors.push(String(e)));
      page.setDefaultTimeout(TIMEOUT);
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Waits until the element's textContent contains text (or matches a RegExp).
export async function waitText(page, selector, text, timeout = TIMEOUT) {
  const [src, flags, plain] = text instanceof RegExp ? [text.source, text.flags, null] : [null, null, text];
  try {
    await page.waitForFunction(
      ([sel, s, f, p]) => {
        const t = document.querySelector(sel)?.textContent ?? '';
        return p !== null ? t.includes(p) : new RegExp(s, f).test(t);
      },
      [selector, src, flags, plain],
      { timeout },
    );
  } catch (e) {
    const now = await page.$eval(selector, (el) => el.textContent).catch(() => '(missing)');
    throw new Error(`${selector} never showed ${text}; it shows: ${JSON.stringify(now)}`);
  }
}

// The lines of #messages (each message or system line).
export const lines = (page) =>
  page.$$eval('#messages > div', (ds) => ds.map((d) => ({ text: d.textContent, cls: d.className })));
