// Checks the built web edition in Debian's Chromium (puppeteer-core; no browser is downloaded):
// axe-core at WCAG 2.1 AA on every page, plus what axe leaves to people: headings, landmarks,
// reflow at 320 px, a visible focus outline, and screenshots at given widths.
// Input (stdin, JSON): {pages: [file paths], chromium, profile, screenshots: [{page, width, path}],
//   clicks: [{page, click: [CSS selectors], read: CSS selector, open: CSS selector}]}
// Output (stdout, JSON): {pages: {page path: {violations, headings, landmarks, lang, overflow320,
//   focus}}, clicks: [{text of read, whether open is open}]}
const fs = require("fs");
const puppeteer = require("puppeteer-core");

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function facts(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    headings: [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map((h) => Number(h.tagName[1])),
    landmarks: [...document.querySelectorAll("header,nav,main,footer,aside")]
      .filter((e) => !e.closest("main") || e.tagName === "MAIN" || e.tagName === "ASIDE")
      .map((e) => e.tagName.toLowerCase()),
    skipTarget: (() => { const a = document.querySelector("a.skip-link");
      return a && document.querySelector(a.getAttribute("href")) ? a.getAttribute("href") : null; })(),
  }));
}

async function check(page, file) {
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto("file://" + file, { waitUntil: "load" });
  await page.evaluate(AXE);
  const result = await page.evaluate((tags) => axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }), TAGS);
  const out = await facts(page);
  out.violations = result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  await page.keyboard.press("Tab");
  out.focus = await page.evaluate(() => {
    const e = document.activeElement, s = getComputedStyle(e);
    return { element: e.className || e.tagName, outline: s.outlineStyle + " " + s.outlineWidth,
      visible: e.getBoundingClientRect().top >= 0 };
  });
  await page.setViewport({ width: 320, height: 640 });
  out.overflow320 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  return out;
}

(async () => {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const browser = await puppeteer.launch({ executablePath: input.chromium, headless: true,
    userDataDir: input.profile, args: FLAGS });
  try {
    const page = await browser.newPage();
    const results = {};
    for (const file of input.pages) results[file] = await check(page, file);
    for (const shot of input.screenshots || []) {
      await page.setViewport({ width: shot.width, height: shot.height || 900 });
      await page.goto("file://" + shot.page, { waitUntil: "load" });
      await page.screenshot({ path: shot.path, fullPage: false });
    }
    const clicks = [];
    for (const probe of input.clicks || []) {
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto("file://" + probe.page, { waitUntil: "load" });
      for (const selector of probe.click) await page.click(selector);
      clicks.push(await page.evaluate((read, open) => ({
        text: document.querySelector(read).textContent,
        open: document.querySelector(open).open }), probe.read, probe.open));
    }
    process.stdout.write(JSON.stringify({ pages: results, clicks }));
  } finally {
    await browser.close();
  }
})().catch((e) => { process.stderr.write(String(e.stack || e)); process.exit(1); });
